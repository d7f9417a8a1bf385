#!/usr/bin/env bash
# The attention kernel against the decomposed graph, in the same run: 12 heads, head dim 64,
# batch 1, causal and full, at each sequence length given (default 512 1024). Reports wall
# time, GFLOP/s (FLOPs = 4·S²·d·heads, halved for causal) and the memory for intermediates
# (the runtime arena's peak). Run after scripts/setup.sh. Prints Markdown rows.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lengths=${*:-512 1024}

echo "| seq | mask | kernel | wall | GFLOP/s | intermediates peak |"
echo "|---|---|---|---|---|---|"
for seq in $lengths; do
  python3 bench/make_inputs.py "$work/in.safetensors" 1 1 "$seq" q:12x64 k:12x64 v:12x64
  for causal in true false; do
    echo "{\"causal\": $causal}" > "$work/config.json"
    for variant in fused decomposed; do
      flag=""
      [ "$variant" = decomposed ] && flag=--no-fuse-attention
      $attune build bench/attention.tfm --config "$work/config.json" --max-batch 1 \
        --max-seq "$seq" $flag -o "$work/lib" > /dev/null
      run=$($attune run "$work/lib/libattention_bench.so" --weights "$work/in.safetensors" \
        --input "$work/in.safetensors" --repeat 2)
      ms=$(echo "$run" | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')
      peak=$(echo "$run" | sed -n 's/^intermediates: \([0-9.]*\) MiB peak.*/\1/p')
      flops=$(awk "BEGIN { f = 4 * $seq * $seq * 64 * 12; if (\"$causal\" == \"true\") f /= 2; print f }")
      gflops=$(awk "BEGIN { printf \"%.2f\", $flops / ($ms * 1e6) }")
      mask=$([ "$causal" = true ] && echo causal || echo full)
      echo "| $seq | $mask | $variant | $ms ms | $gflops | $peak MiB |"
    done
  done
done
