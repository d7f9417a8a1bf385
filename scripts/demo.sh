#!/usr/bin/env bash
# Sets up and builds attune (scripts/setup.sh), compiles the bundled GPT-2 description with
# its small reference weights into out/libgpt2.so + out/gpt2.h, and runs it on a bundled
# prompt: prints the next-token choices, the greedy continuation and the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

attune=build/tools/attune
weights=models/gpt2-tiny/model.safetensors
prompt=models/gpt2-tiny/io.safetensors   # input_ids [2, 24] and greedy_prompt [1, 24]

echo "== attune build models/gpt2.tfm"
$attune build models/gpt2.tfm --weights "$weights" -o out
echo "== attune run out/libgpt2.so (the bundled [2, 24] batch)"
$attune run out/libgpt2.so --weights "$weights" --input "$prompt" --repeat 5
echo "== attune generate out/libgpt2.so (16 tokens, greedy)"
$attune generate out/libgpt2.so --weights "$weights" --input "$prompt" \
  --prompt-tensor greedy_prompt --max-new-tokens 16
