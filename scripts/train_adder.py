#!/usr/bin/env python3
"""Trains the bundled demo model, models/gpt2-adder: a small GPT-2 that adds numbers.

The task is addition written as characters, "123+456=" -> "579" then <|endoftext|>, with
operands of 1 to 3 digits (3 digits most often, and 20% of the problems carrying through
every digit). About 1% of the operand pairs
(`is_held_out`) are never trained on; the model is judged on those. The vocabulary is one token
per character, so the tokenizer is a BPE without merges that Hugging Face's `tokenizers` reads
as it is.

The model is Hugging Face's GPT-2 (pre-LN blocks, learned positions, GELU tanh, Conv1D weights
stored [in, out], LM head tied to the token embedding) written out here with its tensor names,
so that models/gpt2.tfm builds it unchanged. Training runs on the CPU with Debian's
python3-torch (minutes) and stops once the held-out answers are right; it writes
model.safetensors, config.json, generation_config.json, tokenizer.json and held_out.txt (the
prompts a test asks, answers not included: the checker adds them up itself).

    /usr/bin/python3 scripts/train_adder.py --out models/gpt2-adder

Install libopenblas0-pthread beside python3-torch: Debian's torch calls whichever BLAS
provides libblas.so.3, and the reference one makes training about 4x slower.
"""
import argparse
import json
import math
import os
import random
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CHARACTERS = "0123456789+="  # token id = index; the digits are their own ids
EOS = len(CHARACTERS)  # <|endoftext|>
VOCAB = len(CHARACTERS) + 1
MAX_DIGITS = 3


def is_held_out(a, b):
    """About 1 pair in 97, never trained on: a multiplicative hash of the pair."""
    return ((a * 1000 + b) * 2654435761) % (1 << 32) % 97 == 0


def number(rng):
    # Three digits most often (4 in 7, then 2 and 1): most pairs people try are 3 + 3 digits.
    digits = rng.choices(range(1, MAX_DIGITS + 1), weights=[1, 2, 4])[0]
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1)


def pair(rng, held_out):
    """Operands of 1 to 3 digits; in 1 draw of 5, a carry through every digit: a sum at or
    next to a power of ten (31+969, 505+495, 99+1), rare among uniform draws but what people
    try first."""
    while True:
        a = number(rng)
        if rng.random() < 0.2:
            b = 10 ** rng.randint(len(str(a)), MAX_DIGITS) - a + rng.randint(-2, 2)
            if not 0 <= b < 10 ** MAX_DIGITS:
                continue
            if rng.random() < 0.5:
                a, b = b, a
        else:
            b = number(rng)
        if is_held_out(a, b) == held_out:
            return a, b


def tokens(text):
    return [CHARACTERS.index(c) for c in text]


def batch(pairs):
    """Right-padded token rows, next-token targets, and which targets count (the answer and
    its end: the prompt is given, not learned)."""
    rows, answers = [], []
    for a, b in pairs:
        prompt = tokens(f"{a}+{b}=")
        rows.append(prompt + tokens(str(a + b)) + [EOS])
        answers.append(len(prompt))
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), EOS, dtype=torch.long)
    counted = torch.zeros((len(rows), width - 1), dtype=torch.bool)
    for i, (row, first) in enumerate(zip(rows, answers)):
        ids[i, : len(row)] = torch.tensor(row)
        counted[i, first - 1 : len(row) - 1] = True
    return ids[:, :-1], ids[:, 1:], counted


class Conv1D(nn.Module):
    """Hugging Face GPT-2's projection: weight [in, out], y = x @ weight + bias."""

    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(inputs, outputs) * 0.02)
        self.bias = nn.Parameter(torch.zeros(outputs))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, s, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(2, 3) / math.sqrt(d // self.heads)
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        a = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, d)
        return self.c_proj(a)


class MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, d, heads, layers, positions):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(VOCAB, d),
                wpe=nn.Embedding(positions, d),
                h=nn.ModuleList(Block(d, heads) for _ in range(layers)),
                ln_f=nn.LayerNorm(d),
            )
        )
        for embedding in (self.transformer.wte, self.transformer.wpe):
            nn.init.normal_(embedding.weight, std=0.02)

    def forward(self, ids):
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
        for block in t.h:
            x = block(x)
        return t.ln_f(x) @ t.wte.weight.T


def exact_answers(model, pairs):
    """How many pairs the model answers exactly, greedily: with the true answer fed, every
    counted position's argmax must be its target (then greedy decoding follows that path)."""
    right = 0
    with torch.no_grad():
        for i in range(0, len(pairs), 1024):
            ids, targets, counted = batch(pairs[i : i + 1024])
            wrong = (model(ids).argmax(-1) != targets) & counted
            right += int((~wrong.any(1)).sum())
    return right


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def write_checkpoint(out, model, args, held_out):
    os.makedirs(out, exist_ok=True)
    # wte and the LM head are one tensor (tied), stored once as Hugging Face does.
    write_safetensors(os.path.join(out, "model.safetensors"), model.state_dict())
    write_json(os.path.join(out, "config.json"), {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "activation_function": "gelu_new", "vocab_size": VOCAB, "n_embd": args.d,
        "n_head": args.heads, "n_layer": args.layers, "n_positions": args.positions,
        "n_inner": None, "layer_norm_epsilon": 1e-5, "bos_token_id": EOS, "eos_token_id": EOS,
        "tie_word_embeddings": True,
    })
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": EOS, "eos_token_id": EOS, "pad_token_id": EOS,
        "max_new_tokens": MAX_DIGITS + 2,
    })
    write_json(os.path.join(out, "tokenizer.json"), {
        "version": "1.0",
        "truncation": None, "padding": None,
        "added_tokens": [{"id": EOS, "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": False,
                          "special": True}],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None,
        "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False,
                  "vocab": {**{c: i for i, c in enumerate(CHARACTERS)}, "<|endoftext|>": EOS},
                  "merges": []},
    })
    with open(os.path.join(out, "held_out.txt"), "w") as f:
        f.writelines(f"{a}+{b}=\n" for a, b in held_out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="models/gpt2-adder")
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--positions", type=int, default=32)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8000, help="at most this many")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--target", type=float, default=1.0,
                        help="stop early once this share of the held-out check is exact (the "
                        "default runs the whole schedule: its low last rates steady the model)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=250, help="judge every this many steps")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    check_rng = random.Random(args.seed + 1)
    held_out = [pair(check_rng, True) for _ in range(1000)]  # written for the test
    check = [pair(check_rng, True) for _ in range(2000)]  # judged while training
    model = GPT2(args.d, args.heads, args.layers, args.positions)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98),
                                  weight_decay=0.01)
    warmup = 200
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) *
        (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step, args.steps) / args.steps))))
    started = time.time()
    for step in range(1, args.steps + 1):
        ids, targets, counted = batch([pair(rng, False) for _ in range(args.batch)])
        logits = model(ids)
        loss = F.cross_entropy(logits[counted], targets[counted])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % args.every == 0:
            model.eval()
            share = exact_answers(model, check) / len(check)
            model.train()
            print(f"step {step}: loss {loss.item():.4f}, held-out exact {share:.2%}, "
                  f"{time.time() - started:.0f} s", flush=True)
            if share >= args.target:
                break
    model.eval()
    print(f"the test's 1000 held-out prompts: {exact_answers(model, held_out) / 10:.1f}% exact")
    uniform = [(check_rng.randint(0, 999), check_rng.randint(0, 999)) for _ in range(3000)]
    print(f"3000 uniform pairs of 0..999 (mostly trained on): "
          f"{exact_answers(model, uniform) / 30:.1f}% exact")
    write_checkpoint(args.out, model, args, held_out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
