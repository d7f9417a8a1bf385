#!/usr/bin/env bash
# The generated matmul kernel against the FMA peak measured in the same process: every shape
# of issue 8's bars (M x K x N) in both Hugging Face weight layouts ([K, N] "kn", GPT-2's
# Conv1D; [N, K] "nk", nn.Linear and tied LM heads), on 1 and 2 threads (THREADS), plus the
# decode row counts M = 1..8 at K = 768, N = 3072.
#
#   bash bench/gemm.sh            all shapes        ROUNDS=3 rounds of (peak, every M)
#
# Each library is bench/gemm.tfm built for one (K, N, layout) on seeded random weights and
# timed by build/bench/attune-gemm-bench (best of ROUNDS rounds; the peak likewise). Prints
# Markdown rows. Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
bench=build/bench/attune-gemm-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
threads_list=${THREADS:-1 2}

# K N M...: the bars' shapes grouped by weight.
shapes=("768 768 16 128" "768 3072 100 128 512" "3072 768 128" "1024 1024 1024"
        "768 50257 128")
echo "| M | K | N | layout | threads | ms | GFLOP/s | FMA peak (same process) | % of peak |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in "${shapes[@]}" "768 3072 1 2 3 4 5 6 7 8"; do
  set -- $spec
  k=$1 n=$2
  shift 2
  for layout in kn nk; do
    echo "{\"k\": $k, \"n\": $n, \"layout\": \"$layout\"}" > "$work/config.json"
    $attune random-weights bench/gemm.tfm --config "$work/config.json" -o "$work/w.safetensors" > /dev/null
    $attune build bench/gemm.tfm --config "$work/config.json" --weights "$work/w.safetensors" \
      --max-batch 1 --max-seq 1024 -o "$work/lib" > /dev/null
    for threads in $threads_list; do
      $bench "$work/lib/libgemm_bench.so" "$work/w.safetensors" "$threads" "$@" |
        while read -r m kk nn ms gflops peak percent; do
          echo "| $m | $kk | $nn | $layout | $threads | $ms | $gflops | $peak | $percent% |"
        done
    done
  done
done
