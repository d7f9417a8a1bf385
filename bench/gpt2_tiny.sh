#!/usr/bin/env bash
# Measures the compiler on the bundled tiny GPT-2: time for `attune build` (5 builds, fastest
# and slowest), and the forward pass of the [2, 24] reference batch (fastest of 20 runs).
# Run after scripts/setup.sh; prints Markdown rows for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
weights=models/gpt2-tiny/model.safetensors
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

times=()
for i in 1 2 3 4 5; do
  start=$(date +%s.%N)
  $attune build models/gpt2.tfm --weights "$weights" -o "$out" > /dev/null
  end=$(date +%s.%N)
  times+=("$(awk "BEGIN { print $end - $start }")")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "| attune build models/gpt2.tfm (tiny, 2 layers) | fastest $(echo "$sorted" | head -1 | cut -c1-5) s, slowest $(echo "$sorted" | tail -1 | cut -c1-5) s of 5 |"
run=$($attune run "$out/libgpt2.so" --weights "$weights" --input models/gpt2-tiny/io.safetensors --repeat 20)
echo "| forward pass, batch 2 x seq 24 | $(echo "$run" | grep 'wall time' | sed 's/wall time: //') |"
echo "| intermediates at that shape | $(echo "$run" | grep 'intermediates' | sed 's/intermediates: //') |"
