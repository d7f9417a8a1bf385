#!/usr/bin/env bash
# The fused attention kernel against the machine's FMA peak and against the decomposed graph,
# all measured in this one run: 12 heads, head dim 64, batch 1, causal and full, at each
# sequence length given (default 512 2048 8192), with 1 and 2 threads (THREADS="1 2").
#
#   bash bench/attention.sh [lengths...]
#
# FLOPs = 4·S²·d·heads, halved for causal. "% of peak" divides by attune-fma-peak run with
# the same thread count in the same rounds (three rounds of peak then kernel; the best of
# each). "intermediates" is the most bytes of intermediates a call needed (the memory plan's
# workspace: every buffer the generated code uses besides inputs and outputs). The decomposed
# graph (--no-fuse-attention: scores materialised, single-threaded scalar loops, one run) runs up to
# UNFUSED_MAX_SEQ (default: every length; at 8192 it needs 6 GiB and ~3 minutes per mask,
# the whole script ~8 minutes). Run after scripts/setup.sh. Prints Markdown rows.
set -euo pipefail
cd "$(dirname "$0")/.."
attune=build/tools/attune
peak_tool=build/bench/attune-fma-peak
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lengths=${*:-512 2048 8192}
max_len=$(printf '%s\n' $lengths | sort -n | tail -1)
threads_list=${THREADS:-1 2}
unfused_max=${UNFUSED_MAX_SEQ:-$max_len}

for causal in true false; do
  echo "{\"causal\": $causal}" > "$work/config-$causal.json"
  $attune build bench/attention.tfm --config "$work/config-$causal.json" --max-batch 1 \
    --max-seq "$max_len" -o "$work/fused-$causal" > /dev/null
  $attune build bench/attention.tfm --config "$work/config-$causal.json" --max-batch 1 \
    --max-seq "$max_len" --no-fuse-attention -o "$work/unfused-$causal" > /dev/null
done

# run LIBDIR SEQ THREADS REPEAT -> "ms peak_mib"
run() {
  local out
  out=$($attune run "$1/libattention_bench.so" --weights "$work/in.safetensors" \
    --input "$work/in.safetensors" --num-threads "$3" --repeat "$4")
  echo "$(echo "$out" | sed -n 's/^wall time: \([0-9.]*\) ms.*/\1/p')" \
       "$(echo "$out" | sed -n 's/^intermediates: \([0-9.]*\) MiB peak.*/\1/p')"
}

echo "| seq | mask | kernel | threads | wall | GFLOP/s | FMA peak (same run) | % of peak | intermediates peak |"
echo "|---|---|---|---|---|---|---|---|---|"
for seq in $lengths; do
  python3 bench/make_inputs.py "$work/in.safetensors" 1 1 "$seq" q:12x64 k:12x64 v:12x64
  repeat=$(( seq >= 8192 ? 1 : seq >= 2048 ? 3 : 10 ))
  for causal in true false; do
    mask=$([ "$causal" = true ] && echo causal || echo full)
    flops=$(awk "BEGIN { f = 4 * $seq * $seq * 64 * 12; if (\"$causal\" == \"true\") f /= 2; print f }")
    for threads in $threads_list; do
      # Rounds of (FMA peak, kernel) back to back; the best of each over the rounds, so a
      # neighbour's burst on this shared machine skews neither.
      peak=0 ms=""
      for round in 1 2 3; do
        p=$($peak_tool "$threads" | sed -n 's/^fma peak: \([0-9.]*\) GFLOP.*/\1/p')
        read -r t mib < <(run "$work/fused-$causal" "$seq" "$threads" "$repeat")
        peak=$(awk "BEGIN { print ($p > $peak) ? $p : $peak }")
        ms=$(awk "BEGIN { print (\"$ms\" == \"\" || $t < ${ms:-0}) ? $t : ${ms:-0} }")
      done
      gflops=$(awk "BEGIN { printf \"%.1f\", $flops / ($ms * 1e6) }")
      share=$(awk "BEGIN { printf \"%.0f%%\", 100 * $gflops / $peak }")
      echo "| $seq | $mask | fused | $threads | $ms ms | $gflops | $peak | $share | $mib MiB |"
    done
    if [ "$seq" -le "$unfused_max" ]; then
      read -r ms mib < <(run "$work/unfused-$causal" "$seq" 1 1)
      gflops=$(awk "BEGIN { printf \"%.1f\", $flops / ($ms * 1e6) }")
      echo "| $seq | $mask | unfused | 1 | $ms ms | $gflops | | | $mib MiB |"
    fi
  done
done
