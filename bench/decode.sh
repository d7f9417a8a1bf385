#!/usr/bin/env bash
# Decode through the KV cache: GPT-2-small on seeded random weights, a 480-token prompt then 32
# new tokens one at a time (context 512), fp32, as `attune generate` runs it. Per thread count,
# in one run: decode tokens/s against the bandwidth bound (the weight bytes a step streams ÷
# the read bandwidth attune-fma-peak measures right before, with its FMA peak), against
# PyTorch's cached greedy decode of GPT-2-small (../shared/peers/torch_decode.py, the same
# shape; "nan" where python3-torch is missing), and the prefill
# against the forward pass of the same [1, 480] input. Then batch 8 (prompts of 8 to 480
# tokens) on 2 threads, and Llama (~1.1B) batch 1 and batch 8 on 2 threads. Run after scripts/setup.sh;
# ROUNDS (default 2) rounds; needs ~5 GB in $TMPDIR. Prints Markdown rows for
# bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
rounds=${ROUNDS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$attune random-weights models/gpt2.tfm --config bench/configs/gpt2-small.json -o "$work/w.safetensors" > /dev/null
$attune build models/gpt2.tfm --config bench/configs/gpt2-small.json --max-batch 8 --max-seq 1024 -o "$work/lib" > /dev/null
# What a decode step streams: every weight once (the position table's one row aside).
weights=$(( $(stat -c %s "$work/w.safetensors") - 1024 * 768 * 4 ))
prompt=$(python3 -c "print(','.join(str((i * 7919) % 50257) for i in range(480)))")
python3 bench/make_inputs.py "$work/in.safetensors" 50257 1 480 input_ids > /dev/null

# PyTorch (Debian's python3-torch) is the peer; without it those columns read "nan".
have_torch=0
/usr/bin/python3 -c "import torch" 2> /dev/null && have_torch=1
# Debian's torch calls whichever BLAS provides libblas.so.3: the reference one is several
# times slower than OpenBLAS and single-threaded, which would flatter attune. Say which.
blas=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2> /dev/null || echo unknown)
echo "PyTorch's BLAS: $blas"
case "$blas" in
  *openblas*|*blis*|*mkl*) ;;
  *) echo "warning: not an optimized BLAS; apt-get install libopenblas0-pthread for a fair peer" ;;
esac

field() { sed -n "s/^$1: .* in \([0-9.]*\) ms (\([0-9.]*\) tokens\/s.*/\\$2/p"; }
echo "| round | threads | FMA peak GFLOP/s | decode tokens/s | bound tokens/s (read GB/s) | % of bound | PyTorch tokens/s | × PyTorch | prefill 480 ms | forward 1 x 480 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    machine=$(build/bench/attune-fma-peak "$threads")
    peak=$(echo "$machine" | sed -n 's/^fma peak: \([0-9.]*\) GFLOP.*/\1/p')
    gbs=$(echo "$machine" | sed -n 's/^memory read: \([0-9.]*\) GB.*/\1/p')
    out=$($attune generate "$work/lib/libgpt2.so" --weights "$work/w.safetensors" --prompt-ids "$prompt" --max-new-tokens 33 --eos-token -1 --num-threads "$threads" --repeat 3)
    tps=$(echo "$out" | field decode 2)
    prefill=$(echo "$out" | field prompt 1)
    forward=$($attune run "$work/lib/libgpt2.so" --weights "$work/w.safetensors" --input "$work/in.safetensors" --num-threads "$threads" --repeat 3 | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')
    torch=nan
    if [ "$have_torch" = 1 ]; then
      # PyTorch at its best: OpenBLAS on as many threads as torch's, and torch's OpenMP
      # threads not spinning between ops (spinning, they starve OpenBLAS's own threads: 8.6
      # tokens/s on 2 threads against 27 with PASSIVE on the Zen 5).
      torch=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS="$threads" \
              /usr/bin/python3 ../shared/peers/torch_decode.py "$threads" 480 32 | sed -n 's/.*decode_tok_s=\([0-9.]*\).*/\1/p')
    fi
    python3 - "$round" "$threads" "$peak" "$tps" "$gbs" "$weights" "$torch" "$prefill" "$forward" <<'PY'
import sys
r, t, peak, tps, gbs, weights, torch, prefill, forward = sys.argv[1:]
bound = float(gbs) * 1e9 / float(weights)
print(f"| {r} | {t} | {float(peak):.1f} | {float(tps):.1f} | {bound:.1f} ({float(gbs):.1f}) | {100 * float(tps) / bound:.0f}% "
      f"| {float(torch):.2f} | {float(tps) / float(torch):.1f}× | {float(prefill):.0f} | {float(forward):.0f} |")
PY
  done
done

# Batch 8: rows of 8, 76, ..., 480 prompt tokens, decoded together on 2 threads.
batch=$(python3 -c "print(';'.join(','.join(str((i * 7919 + r) % 50257) for i in range(8 + r * 67)) for r in range(8)))")
out=$($attune generate "$work/lib/libgpt2.so" --weights "$work/w.safetensors" --prompt-ids "$batch" --max-new-tokens 33 --eos-token -1 --num-threads 2 --repeat 2)
echo
echo "batch 8 (prompts of 8 to 477 tokens), 2 threads: $(echo "$out" | field decode 2) decode tokens/s over all rows"

# Llama (~1.1B, bench/configs/llama-1b.json) batch 1, the same prompt and tokens, 2 threads;
# then batch 8 as GPT-2's above.
rm -rf "$work/w.safetensors" "$work/lib"
$attune random-weights models/llama.tfm --config bench/configs/llama-1b.json -o "$work/w.safetensors" > /dev/null
$attune build models/llama.tfm --config bench/configs/llama-1b.json --max-batch 8 --max-seq 512 -o "$work/lib" > /dev/null
# A step streams every weight but the token embedding (one row of it).
weights=$(( $(stat -c %s "$work/w.safetensors") - 32000 * 2048 * 4 ))
prompt=$(python3 -c "print(','.join(str((i * 7919) % 32000) for i in range(480)))")
gbs=$(build/bench/attune-fma-peak 2 | sed -n 's/^memory read: \([0-9.]*\) GB.*/\1/p')
out=$($attune generate "$work/lib/libllama.so" --weights "$work/w.safetensors" --prompt-ids "$prompt" --max-new-tokens 33 --eos-token -1 --num-threads 2 --repeat 2)
python3 - "$(echo "$out" | field decode 2)" "$gbs" "$weights" <<'PY'
import sys
tps, gbs, weights = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
bound = gbs * 1e9 / weights
print(f"Llama ~1.1B, batch 1, context 512, 2 threads: {tps:.2f} decode tokens/s; bound {bound:.2f} "
      f"({gbs:.1f} GB/s, {weights / 1e9:.2f} GB of weights): {100 * tps / bound:.0f}%")
PY
batch=$(python3 -c "print(';'.join(','.join(str((i * 7919 + r) % 32000) for i in range(8 + r * 67)) for r in range(8)))")
out=$($attune generate "$work/lib/libllama.so" --weights "$work/w.safetensors" --prompt-ids "$batch" --max-new-tokens 33 --eos-token -1 --num-threads 2 --repeat 2)
echo "Llama ~1.1B, batch 8 (prompts of 8 to 477 tokens), 2 threads: $(echo "$out" | field decode 2) decode tokens/s over all rows"
