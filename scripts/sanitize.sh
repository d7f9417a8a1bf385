#!/usr/bin/env bash
# The tests under sanitizers (docs/robustness.md). Any report fails. Run after scripts/setup.sh.
#  - build-asan/: the whole project with ASan+UBSan (LeakSanitizer included): the runtime's,
#    tokenizer's and support library's unit tests, then the description and end-to-end lit
#    suites, whose libraries link the instrumented runtime and whose C programs are built
#    instrumented too. Under the sanitizers a build takes 2-3 times as long, so by default the
#    end-to-end tests that rebuild the same models with other compiler options (fusion,
#    epilogue and norm fusion on and off, attention blocks, schedules, kernel tests, threads,
#    spills, profiling) are left to the regular run; `--all` runs them too.
#  - build-tsan/: the runtime with ThreadSanitizer: its unit tests (the thread pool,
#    concurrent sessions), then the end-to-end programs that run sessions on many threads,
#    against a library the regular compiler links with the instrumented runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
lit_filter=(--filter-out
  'e2e/(fusion|epilogues|fuse-norms|threads|schedule|scheduling|no-spills|matmul-kernel|attention-kernel|profile)\.test')
[ "${1:-}" = --all ] && lit_filter=()
# The out-of-memory tests ask for impossible sizes on purpose: a sanitizer's allocator must
# answer NULL, as malloc does, rather than abort. ASan keeps the last 8 MB of freed memory
# unused to catch reads after free (its default, 256 MB, makes the compiler's many small
# allocations fault in fresh pages and the lit suites take twice as long).
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:quarantine_size_mb=8
export TSAN_OPTIONS=allocator_may_return_null=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

bash scripts/configure.sh build-asan -DATTUNE_SANITIZE=address,undefined
ninja -C build-asan attune runtime-tests tokenizer-tests support-tests
ctest --test-dir build-asan -R '^(runtime|tokenizer|support)$' --output-on-failure
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "${lit_filter[@]}" build-asan/test/frontend \
  build-asan/test/e2e

bash scripts/configure.sh build-tsan -DATTUNE_SANITIZE=thread
ninja -C build-tsan runtime-tests
ctest --test-dir build-tsan -R '^runtime$' --output-on-failure
# sessions_gpt2 runs the tiny GPT-2 on 8 sessions at once; decode_sessions generates on 8, each
# with its own KV cache, with a GPT-2 of 128 positions.
sessions=build-tsan/e2e
rm -rf "$sessions" && mkdir -p "$sessions"
build/tools/attune build models/gpt2.tfm --weights models/gpt2-tiny/model.safetensors \
  --runtime build-tsan/runtime/libattune_rt.a -o "$sessions/tiny" > /dev/null
build/tools/attune random-weights models/gpt2.tfm --config test/e2e/Inputs/gpt2-long.json \
  --std 0.2 --seed 3 -o "$sessions/long.safetensors" > /dev/null
build/tools/attune build models/gpt2.tfm --config test/e2e/Inputs/gpt2-long.json --max-batch 4 \
  --runtime build-tsan/runtime/libattune_rt.a -o "$sessions/long" > /dev/null
for run in "sessions_gpt2 tiny models/gpt2-tiny/model.safetensors" \
           "decode_sessions long $sessions/long.safetensors"; do
  set -- $run
  clang-19 -fsanitize=thread -g -std=c11 -Wall -Werror "test/e2e/Inputs/$1.c" \
    -I"$sessions/$2" -L"$sessions/$2" -lgpt2 -lpthread -lm -o "$sessions/$1"
  LD_LIBRARY_PATH="$sessions/$2" "$sessions/$1" "$3" | tee "$sessions/$1.txt"
  grep -q '^0 failures$' "$sessions/$1.txt"
done
