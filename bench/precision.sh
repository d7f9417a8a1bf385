#!/usr/bin/env bash
# attune build --precision=bf16 against fp32: GPT-2-small on seeded random weights, the same
# weights file for both libraries, built for this machine. Per round and thread count, the two
# libraries alternate on the same inputs: the forward pass of batch 1 × seq 512 (prefill) and
# greedy decode through the KV cache, 32 tokens after a 480-token prompt (context 512) and
# after a 16-token one (where the weights are nearly all a step reads). Prints Markdown rows
# for bench/RESULTS.md: each time, and bf16's speed-up over fp32 in the same round. The FMA
# peak and read bandwidth come from attune-fma-peak right before each round's pair.
# Run after scripts/setup.sh; ROUNDS (default 2); needs ~2 GB in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
rounds=${ROUNDS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$attune random-weights models/gpt2.tfm --config bench/configs/gpt2-small.json -o "$work/w.safetensors" > /dev/null
for precision in fp32 bf16; do
  $attune build models/gpt2.tfm --config bench/configs/gpt2-small.json --max-batch 1 --max-seq 1024 \
    --precision=$precision -o "$work/$precision" > /dev/null
done
python3 bench/make_inputs.py "$work/in.safetensors" 50257 1 512 input_ids > /dev/null
long=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(480)))")
short=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(16)))")

decode_tps() { sed -n 's/^decode: .* (\([0-9.]*\) tokens\/s.*/\1/p'; }
lscpu | sed -n 's/^Model name: *\(.*\)/CPU: \1/p; s/^Model: *\(.*\)/model: \1/p; s/^CPU family: *\(.*\)/family: \1/p'
echo "AVX512_BF16: $(grep -q avx512_bf16 /proc/cpuinfo && echo yes || echo no)"
echo "| round | threads | FMA peak GFLOP/s (read GB/s) | prefill 1×512 ms fp32 / bf16 | × | decode tokens/s, context 512, fp32 / bf16 | × | decode tokens/s, context 48, fp32 / bf16 | × |"
echo "|---|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    machine=$(build/bench/attune-fma-peak "$threads")
    peak=$(echo "$machine" | sed -n 's/^fma peak: \([0-9.]*\) GFLOP.*/\1/p')
    gbs=$(echo "$machine" | sed -n 's/^memory read: \([0-9.]*\) GB.*/\1/p')
    declare -A prefill=() decode_long=() decode_short=()
    for precision in fp32 bf16; do
      lib="$work/$precision/libgpt2.so"
      prefill[$precision]=$($attune run "$lib" --weights "$work/w.safetensors" --input "$work/in.safetensors" \
        --num-threads "$threads" --repeat 3 | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')
      decode_long[$precision]=$($attune generate "$lib" --weights "$work/w.safetensors" --prompt-ids "$long" \
        --max-new-tokens 33 --eos-token -1 --num-threads "$threads" --repeat 3 | decode_tps)
      decode_short[$precision]=$($attune generate "$lib" --weights "$work/w.safetensors" --prompt-ids "$short" \
        --max-new-tokens 33 --eos-token -1 --num-threads "$threads" --repeat 3 | decode_tps)
    done
    python3 - "$round" "$threads" "$peak" "$gbs" "${prefill[fp32]}" "${prefill[bf16]}" \
      "${decode_long[fp32]}" "${decode_long[bf16]}" "${decode_short[fp32]}" "${decode_short[bf16]}" <<'PY'
import sys
r, t, peak, gbs, p32, p16, l32, l16, s32, s16 = sys.argv[1:]
p32, p16, l32, l16, s32, s16 = map(float, (p32, p16, l32, l16, s32, s16))
print(f"| {r} | {t} | {float(peak):.1f} ({float(gbs):.1f}) | {p32:.0f} / {p16:.0f} | {p32 / p16:.2f} "
      f"| {l32:.1f} / {l16:.1f} | {l16 / l32:.2f} | {s32:.1f} / {s16:.1f} | {s16 / s32:.2f} |")
PY
  done
done
