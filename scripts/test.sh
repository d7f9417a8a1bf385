#!/usr/bin/env bash
# Sets up and builds attune (scripts/setup.sh), then runs every test: lit/FileCheck suites,
# GoogleTest unit tests and the end-to-end model tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure
