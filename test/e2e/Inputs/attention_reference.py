"""Attention in numpy (float64) for the kernel tests: writes OUT (safetensors) with seeded random
inputs for one model of attention.tfm and the expected output `o`.

usage: attention_reference.py KIND OUT --batch B --heads H --seq S --dim D [--groups G] [--seed N]
KIND: causal, padded, biased, grouped or banded (|query - key| <= 5).
"""
import argparse
import math

import numpy as np

from reference_models import write_safetensors


def attend(q, k, v, allowed, bias, scale):
    scores = q @ np.swapaxes(k, -1, -2) * scale + bias
    scores = np.where(allowed, scores, np.finfo(np.float32).min)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    return (scores / scores.sum(-1, keepdims=True)) @ v


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["causal", "padded", "biased", "grouped", "banded"])
    parser.add_argument("out")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--heads", type=int, required=True)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--dim", type=int, required=True)
    parser.add_argument("--groups", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    rng = np.random.default_rng(a.seed)
    kv_heads = a.groups if a.kind == "grouped" else a.heads
    shape = (a.batch, a.heads, a.seq, a.dim)
    kv_shape = (a.batch, kv_heads, a.seq, a.dim)
    # Scores of a few units: the softmax is neither flat nor one-hot.
    q = rng.standard_normal(shape).astype(np.float32) * 1.5
    k = rng.standard_normal(kv_shape).astype(np.float32)
    v = rng.standard_normal(kv_shape).astype(np.float32)
    tensors = {"q": q, "k": k, "v": v}
    scale = 1 / math.sqrt(a.dim)
    allowed = np.ones((a.seq, a.seq), dtype=bool)
    bias = 0.0
    if a.kind in ("causal", "grouped"):
        allowed = np.tril(allowed)
    if a.kind == "banded":
        positions = np.arange(a.seq)
        allowed = np.abs(positions[:, None] - positions[None, :]) <= 5
    if a.kind == "padded":
        # Each sequence keeps a different prefix of keys (at least one).
        lengths = rng.integers(1, a.seq + 1, size=a.batch)
        mask = (np.arange(a.seq)[None, :] < lengths[:, None]).astype(np.int32)
        tensors["attention_mask"] = mask
        allowed = mask[:, None, None, :] != 0
    if a.kind == "biased":
        bias = rng.standard_normal((a.heads, a.seq, a.seq)).astype(np.float32) * 2
        tensors["bias"] = bias
        scale = 1.0
    q64, k64, v64 = (t.astype(np.float64) for t in (q, k, v))
    if a.kind == "grouped":
        k64 = np.repeat(k64, a.heads // a.groups, axis=1)
        v64 = np.repeat(v64, a.heads // a.groups, axis=1)
    tensors["o"] = attend(q64, k64, v64, allowed, np.asarray(bias, dtype=np.float64), scale)
    write_safetensors(a.out, tensors)


if __name__ == "__main__":
    main()
