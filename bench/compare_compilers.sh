#!/usr/bin/env bash
# Two attune compilers on the same model, weights and inputs, in alternating rounds on one
# machine: GPT-2-small (seeded random weights) forward at batch 1 x 480 and batch 8 x 128, and
# decode through the KV cache (a 480-token prompt, 32 new tokens), each on 1 and 2 threads;
# fastest of 3 per round, and the workspace each run held. For changes to the generated code:
#   bash bench/compare_compilers.sh /path/to/baseline/build/tools/attune build/tools/attune
# ROUNDS (default 3). Needs ~1 GB in $TMPDIR. Prints Markdown rows for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: $0 BASELINE_ATTUNE ATTUNE" >&2; exit 2; }
compilers=("$1" "$2")
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=bench/configs/gpt2-small.json

"${compilers[1]}" random-weights models/gpt2.tfm --config $config -o "$work/w.safetensors" > /dev/null
for i in 0 1; do
  "${compilers[$i]}" build models/gpt2.tfm --config $config --max-batch 8 --max-seq 512 \
    -o "$work/lib$i" > /dev/null
done
python3 bench/make_inputs.py "$work/b1.safetensors" 50257 1 480 input_ids > /dev/null
python3 bench/make_inputs.py "$work/b8.safetensors" 50257 8 128 input_ids > /dev/null
prompt=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(480)))")
attune=build/tools/attune

forward() { # lib inputs threads -> "ms held_MiB"
  $attune run "$1/libgpt2.so" --weights "$work/w.safetensors" --input "$2" --num-threads "$3" \
    --repeat 3 | sed -n -e 's/^wall time: \([0-9.]*\) ms.*/\1/p' \
    -e 's/^intermediates: .*, \([0-9.]*\) MiB held.*/\1/p' | paste -sd' '
}
decode() { # lib threads -> tokens/s
  $attune generate "$1/libgpt2.so" --weights "$work/w.safetensors" --prompt-ids "$prompt" \
    --max-new-tokens 33 --eos-token -1 --num-threads "$2" --repeat 3 |
    sed -n 's/^decode: .* (\([0-9.]*\) tokens\/s.*/\1/p'
}

echo "| round | threads | compiler | forward 1 x 480 ms | forward 8 x 128 ms | workspace held MiB (8 x 128) | decode tokens/s |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    for i in 0 1; do
      read -r one _ < <(forward "$work/lib$i" "$work/b1.safetensors" "$threads")
      read -r eight held < <(forward "$work/lib$i" "$work/b8.safetensors" "$threads")
      tps=$(decode "$work/lib$i" "$threads")
      name=$([ $i = 0 ] && echo baseline || echo new)
      echo "| $round | $threads | $name | $one | $eight | $held | $tps |"
    done
  done
done
