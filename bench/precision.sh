#!/usr/bin/env bash
# The products' precision: attune build --precision=bf16 and --weights-int8 against fp32.
# GPT-2-small on seeded random weights, the same weights file for the three libraries, built
# for this machine. Per round and thread count, the libraries alternate on the same inputs:
# the forward pass of batch 1 × seq 512 (prefill) and greedy decode through the KV cache, 32
# tokens after a 480-token prompt (context 512) and after a 16-token one (context 48, where the
# weights are nearly all a step reads). Prints Markdown rows for bench/RESULTS.md: each figure
# as fp32 / bf16 / int8, and bf16's and int8's speed-ups over fp32 in the same round; then how
# far bf16's and int8's logits of the prefill are from fp32's (max |got - ref| / max |ref|).
# The FMA peak and read bandwidth come from attune-fma-peak before each round's libraries.
# Run after scripts/setup.sh; ROUNDS (default 2); CPU (default native): the --cpu the libraries
# are built for, e.g. CPU=znver3 for what a CPU without AVX512_BF16 (or AVX-512) gets; needs
# ~2 GB in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
rounds=${ROUNDS:-2}
cpu=${CPU:-native}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A flags=([fp32]="" [bf16]="--precision=bf16" [int8]="--weights-int8")
kinds="fp32 bf16 int8"
$attune random-weights models/gpt2.tfm --config bench/configs/gpt2-small.json -o "$work/w.safetensors" > /dev/null
for kind in $kinds; do
  $attune build models/gpt2.tfm --config bench/configs/gpt2-small.json --max-batch 1 --max-seq 1024 \
    --cpu="$cpu" ${flags[$kind]} -o "$work/$kind" > /dev/null
done
python3 bench/make_inputs.py "$work/in.safetensors" 50257 1 512 input_ids > /dev/null
long=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(480)))")
short=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(16)))")

decode_tps() { sed -n 's/^decode: .* (\([0-9.]*\) tokens\/s.*/\1/p'; }
lscpu | sed -n 's/^Model name: *\(.*\)/CPU: \1/p; s/^CPU family: *\(.*\)/family: \1/p; s/^Model: *\(.*\)/model: \1/p'
echo "AVX512_BF16: $(grep -q avx512_bf16 /proc/cpuinfo && echo yes || echo no); libraries built for --cpu=$cpu"
echo "| round | threads | FMA peak GFLOP/s (read GB/s) | prefill 1×512 ms fp32 / bf16 / int8 | × bf16, int8 | decode tokens/s, context 512 | × bf16, int8 | decode tokens/s, context 48 | × bf16, int8 |"
echo "|---|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    machine=$(build/bench/attune-fma-peak "$threads")
    peak=$(echo "$machine" | sed -n 's/^fma peak: \([0-9.]*\) GFLOP.*/\1/p')
    gbs=$(echo "$machine" | sed -n 's/^memory read: \([0-9.]*\) GB.*/\1/p')
    figures=()
    for kind in $kinds; do
      lib="$work/$kind/libgpt2.so"
      figures+=("$($attune run "$lib" --weights "$work/w.safetensors" --input "$work/in.safetensors" \
        --num-threads "$threads" --repeat 3 | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')")
      figures+=("$($attune generate "$lib" --weights "$work/w.safetensors" --prompt-ids "$long" \
        --max-new-tokens 33 --eos-token -1 --num-threads "$threads" --repeat 3 | decode_tps)")
      figures+=("$($attune generate "$lib" --weights "$work/w.safetensors" --prompt-ids "$short" \
        --max-new-tokens 33 --eos-token -1 --num-threads "$threads" --repeat 3 | decode_tps)")
    done
    python3 - "$round" "$threads" "$peak" "$gbs" "${figures[@]}" <<'PY'
import sys
r, t, peak, gbs = sys.argv[1:5]
f = [float(x) for x in sys.argv[5:]]  # per kind: prefill ms, decode long, decode short
prefill, long, short = f[0::3], f[1::3], f[2::3]
cells = [f"| {r} | {t} | {float(peak):.1f} ({float(gbs):.1f}) "]
cells.append(f"| {' / '.join(f'{x:.0f}' for x in prefill)} "
             f"| {prefill[0] / prefill[1]:.2f}, {prefill[0] / prefill[2]:.2f} ")
for tps in (long, short):
    cells.append(f"| {' / '.join(f'{x:.1f}' for x in tps)} "
                 f"| {tps[1] / tps[0]:.2f}, {tps[2] / tps[0]:.2f} ")
print("".join(cells) + "|")
PY
  done
done

for kind in $kinds; do
  $attune run "$work/$kind/libgpt2.so" --weights "$work/w.safetensors" --input "$work/in.safetensors" \
    --output "$work/$kind-out.safetensors" > /dev/null
done
for kind in bf16 int8; do
  echo "$kind logits against fp32's: $($attune compare "$work/$kind-out.safetensors" "$work/fp32-out.safetensors" --tensor logits --tolerance 1 | sed 's/ (tolerance.*//')"
done
