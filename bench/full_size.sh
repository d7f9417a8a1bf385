#!/usr/bin/env bash
# Builds and runs full-size configurations (GPT-2 small, BERT-base, T5-small, a 1.1B Llama) on
# seeded random weights: compiler wall time and peak memory, library size, and one forward pass
# at batch 1 x seq 128 (T5: encoder 128 + decoder 32) on 1 and 2 threads (fastest of 3 each). Run after scripts/setup.sh; needs
# ~6 GB of disk in $TMPDIR for weights.
# Prints Markdown rows for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| model | parameters | compiler wall | compiler peak RSS | library | forward 1 x 128, 1 thread | 2 threads |"
echo "|---|---|---|---|---|---|---|"
for spec in "gpt2 gpt2-small 50257 input_ids" \
            "bert bert-base 30522 input_ids attention_mask token_type_ids" \
            "t5 t5-small 32128 input_ids decoder_input_ids=32" \
            "llama llama-1b 32000 input_ids"; do
  set -- $spec
  model=$1 name=$2 config=bench/configs/$2.json vocab=$3
  shift 3
  $attune random-weights models/$model.tfm --config "$config" -o "$work/w.safetensors" > /dev/null
  params=$(( $(stat -c %s "$work/w.safetensors") / 4 / 1000000 ))
  /usr/bin/time -f "%e %M" -o "$work/time" \
    $attune build models/$model.tfm --config "$config" --weights "$work/w.safetensors" \
      --max-batch 1 --max-seq 128 -o "$work/lib" > /dev/null
  read -r wall rss < "$work/time"
  size=$(( $(stat -c %s "$work/lib/lib$model.so") / 1024 ))
  python3 bench/make_inputs.py "$work/in.safetensors" "$vocab" 1 128 "$@"
  ms=()
  for threads in 1 2; do
    run=$($attune run "$work/lib/lib$model.so" --weights "$work/w.safetensors" \
            --input "$work/in.safetensors" --num-threads "$threads" --repeat 3)
    ms+=("$(echo "$run" | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')")
  done
  label=$name
  [ "$model" = t5 ] && label="$name (encoder 128 + decoder 32)"
  echo "| $label | ${params}M | ${wall} s | $(( rss / 1024 )) MiB | ${size} KiB | ${ms[0]} ms | ${ms[1]} ms |"
  rm -rf "$work/w.safetensors" "$work/lib"
done
