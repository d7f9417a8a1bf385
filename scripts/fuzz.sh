#!/usr/bin/env bash
# Builds the libFuzzer harnesses of test/fuzz in build-fuzz/ (everything they link instrumented
# with ASan+UBSan and for coverage) and runs each for SECONDS (default 30) on its seeds, then
# replays its regression inputs: the bounded runs of the test suite (scripts/test.sh), and with
# a larger SECONDS the long runs docs/robustness.md records. Run after scripts/setup.sh.
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
bash scripts/configure.sh build-fuzz -DATTUNE_FUZZERS=ON -DATTUNE_FUZZ_SECONDS="$seconds"
ninja -C build-fuzz SafetensorsFuzzer ShardIndexFuzzer JsonFuzzer ManifestFuzzer ParserFuzzer ElaboratorFuzzer \
  TokenizerFuzzer
ctest --test-dir build-fuzz -R '^fuzz-' --output-on-failure -j "$(nproc)"
