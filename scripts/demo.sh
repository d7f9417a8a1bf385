#!/usr/bin/env bash
# Sets up and builds attune (scripts/setup.sh), then compiles the bundled demo model with the
# shipped GPT-2 description: models/gpt2-adder, a small GPT-2 trained (scripts/train_adder.py)
# to add numbers of up to three digits written as characters. It asks it sums through the KV
# cache: one prompt streamed as it is answered, then a batch of prompts of different lengths,
# each with the prompt and decode tokens/s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

attune=build/tools/attune
model=models/gpt2-adder
weights=$model/model.safetensors   # tokenizer.json and generation_config.json beside it

echo "== attune build models/gpt2.tfm --weights $weights"
$attune build models/gpt2.tfm --weights "$weights" -o out/adder
echo "== attune generate out/adder/libgpt2.so --prompt \"123+456=\""
$attune generate out/adder/libgpt2.so --weights "$weights" --prompt "123+456="
echo "== a batch of prompts"
$attune generate out/adder/libgpt2.so --weights "$weights" \
  --prompt "7+5=" --prompt "99+1=" --prompt "640+385=" --prompt "31+969="
