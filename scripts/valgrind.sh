#!/usr/bin/env bash
# valgrind's memcheck over `attune build`, `attune run` and `attune generate` of the tiny
# models (docs/robustness.md): a definitely lost byte or a memory error fails. The libraries
# are built for x86-64-v3 (AVX2): valgrind 3.19 cannot decode AVX-512. Run after
# scripts/setup.sh. usage: scripts/valgrind.sh [MODEL...]  (default: gpt2 bert llama t5)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/valgrind
mkdir -p "$out"
# Runs a command under memcheck, its report in $out/NAME.log; prints the report's verdict.
memcheck() {
  local name=$1
  shift
  local status=0
  valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
    --log-file="$out/$name.log" "$@" > "$out/$name.out" || status=$?
  grep -E 'definitely lost|ERROR SUMMARY' "$out/$name.log" | sed "s/^==[0-9]*== /$name: /"
  if [ "$status" != 0 ]; then
    echo "$name: exit status $status; see $out/$name.log" >&2
    exit 1
  fi
}
attune=build/tools/attune
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(gpt2 bert llama t5)
for m in "${models[@]}"; do
  weights=models/$m-tiny/model.safetensors
  bound=()
  [ "$m" = t5 ] && bound=(--max-seq 48)
  memcheck "$m-build" "$attune" build "models/$m.tfm" --weights "$weights" --cpu=x86-64-v3 \
    "${bound[@]}" -o "$out/$m"
  memcheck "$m-run" "$attune" run "$out/$m/lib$m.so" --weights "$weights" \
    --input "models/$m-tiny/io.safetensors"
  case $m in
    gpt2|llama) memcheck "$m-generate" "$attune" generate "$out/$m/lib$m.so" \
      --weights "$weights" --prompt-ids "1,2,3;4,5" --max-new-tokens 8 ;;
    t5) memcheck "$m-generate" "$attune" generate "$out/$m/lib$m.so" \
      --weights "$weights" --encoder-ids "1,2,3,4;5,6" --max-new-tokens 8 ;;
  esac
done
# The conversion a model applies to half-precision weights, when GPT-2 is among the models.
if [ -d "$out/gpt2" ]; then
  /usr/bin/python3 scripts/convert_checkpoint.py models/gpt2-tiny/model.safetensors \
    "$out/gpt2-bf16.safetensors" --dtype bf16
  memcheck gpt2-run-bf16 "$attune" run "$out/gpt2/libgpt2.so" --weights "$out/gpt2-bf16.safetensors" \
    --input models/gpt2-tiny/io.safetensors
fi
