"""Matmuls in numpy (float64) for the matmul kernel tests: writes OUT (safetensors) with seeded
random inputs and weights for one model of matmul.tfm and the expected outputs.

usage: matmul_reference.py KIND OUT --batch B --seq S --k K --n N [--seed N]
KIND: conv1d (w stored [k, n]), linear (w stored [n, k]), tied (linear, plus e = w[ids]) or
norms (residual_norms: the layer and RMS norms after residual adds, as torch defines them).
"""
import argparse

import numpy as np

from reference_models import write_safetensors


def norms(rng, x, n):
    """residual_norms of matmul.tfm in float64: h = x·w + b + r, y = layer_norm(h),
    z = rms_norm(y·w2 + h)."""
    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    r, w, b, g, beta = f32(*x.shape[:-1], n), f32(x.shape[-1], n), f32(n), f32(n), f32(n)
    w2, g2 = f32(n, n), f32(n)
    h = x.astype(np.float64) @ w + b + r
    centred = h - h.mean(-1, keepdims=True)
    y = centred / np.sqrt((centred ** 2).mean(-1, keepdims=True) + 1e-5) * g + beta
    s = y @ w2 + h
    z = s / np.sqrt((s ** 2).mean(-1, keepdims=True) + 1e-6) * g2
    return {"x": x, "r": r, "w": w, "b": b, "g": g, "beta": beta, "w2": w2, "g2": g2,
            "h": h, "y": y, "z": z}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["conv1d", "linear", "tied", "norms"])
    parser.add_argument("out")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--k", type=int, required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    rng = np.random.default_rng(a.seed)
    x = rng.standard_normal((a.batch, a.seq, a.k)).astype(np.float32)
    if a.kind == "norms":
        write_safetensors(a.out, norms(rng, x, a.n))
        return
    shape = (a.k, a.n) if a.kind == "conv1d" else (a.n, a.k)
    w = rng.standard_normal(shape).astype(np.float32)
    w_kn = w if a.kind == "conv1d" else w.T
    tensors = {"x": x, "w": w, "y": x.astype(np.float64) @ w_kn.astype(np.float64)}
    if a.kind == "tied":
        ids = rng.integers(0, a.n, size=(a.batch, a.seq)).astype(np.int32)
        tensors["ids"] = ids
        tensors["e"] = w[ids]
    write_safetensors(a.out, tensors)


if __name__ == "__main__":
    main()
