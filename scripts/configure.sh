#!/usr/bin/env bash
# Configures a build directory the way every attune build is made: clang-19, ninja, ccache
# (CMakeLists.txt picks it up), lld. usage: scripts/configure.sh DIR [-DOPTION=VALUE ...]
# (scripts/setup.sh: build/; scripts/fuzz.sh: build-fuzz/ with the fuzzers).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
cmake -S . -B "$dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
  "$@" > "$dir-configure.log" 2>&1 || { cat "$dir-configure.log"; exit 1; }
