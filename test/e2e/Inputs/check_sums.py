#!/usr/bin/env python3
"""Scores `attune generate --prompt-file` on addition prompts: each "a+b=" prompt's answer
("sequence N: TEXT" lines, in prompt order) must be the decimal sum, computed here. Prints the
share answered exactly and exits non-zero below --at-least."""
import argparse
import re
import sys

parser = argparse.ArgumentParser()
parser.add_argument("prompts")
parser.add_argument("answers")
parser.add_argument("--at-least", type=float, required=True)
args = parser.parse_args()

prompts = [line.strip() for line in open(args.prompts) if line.strip()]
answers = {}
for line in open(args.answers):
    match = re.match(r"sequence (\d+): (.*)$", line.rstrip("\n"))
    if match:
        answers[int(match.group(1))] = match.group(2)
if len(answers) != len(prompts):
    sys.exit(f"{len(prompts)} prompts but {len(answers)} answers")
right, wrong = 0, []
for i, prompt in enumerate(prompts):
    a, b = re.fullmatch(r"(\d+)\+(\d+)=", prompt).groups()
    if answers[i] == str(int(a) + int(b)):
        right += 1
    else:
        wrong.append(f"{prompt}{answers[i]}")
share = right / len(prompts)
print(f"{right} of {len(prompts)} exact ({share:.1%}); wrong: {' '.join(wrong[:10])}")
sys.exit(0 if share >= args.at_least else 1)
