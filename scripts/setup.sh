#!/usr/bin/env bash
# Installs what attune needs on Debian 12 (idempotent: apt runs only when a package is
# missing), then configures and builds into build/ with clang-19, ninja, ccache and lld.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19
          libomp-19-dev libfmt-dev ninja-build cmake ccache libgtest-dev libbenchmark-dev
          python3 python3-numpy libclang-rt-19-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "attune setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

jobs=$(nproc)
bash scripts/configure.sh build
ninja -C build -j "$jobs"
