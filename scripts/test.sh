#!/usr/bin/env bash
# Sets up and builds attune (scripts/setup.sh), then runs every test: lit/FileCheck suites,
# GoogleTest unit tests, the end-to-end model tests, the unit tests again under sanitizers and
# bounded runs of the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure
# The unit tests under ASan+UBSan and ThreadSanitizer; the fuzzers, 30 seconds each plus
# their regression inputs, under ASan+UBSan.
bash scripts/sanitize.sh
bash scripts/fuzz.sh 30
