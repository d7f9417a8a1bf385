#!/usr/bin/env bash
# The unit tests under sanitizers: the runtime's and the tokenizer's with ASan+UBSan
# (build-asan/; LeakSanitizer included), the runtime's, concurrency tests among them, with
# ThreadSanitizer (build-tsan/). Any report fails. Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# The out-of-memory tests ask for impossible sizes on purpose: a sanitizer's allocator must
# answer NULL, as malloc does, rather than abort.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
export TSAN_OPTIONS=allocator_may_return_null=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for build in "asan address,undefined" "tsan thread"; do
  set -- $build
  bash scripts/configure.sh "build-$1" -DATTUNE_SANITIZE="$2"
  targets=(runtime-tests) tests='^runtime$'
  if [ "$1" = asan ]; then
    targets+=(tokenizer-tests)
    tests='^(runtime|tokenizer)$'
  fi
  ninja -C "build-$1" "${targets[@]}"
  ctest --test-dir "build-$1" -R "$tests" --output-on-failure
done
