"""An independent GPT-2 forward pass in numpy (float64), written from the Hugging Face
GPT2LMHeadModel definition: it checks attune on configurations that have no HF reference file.

usage: gpt2_reference.py CONFIG WEIGHTS OUT (--batch B --seq S [--seed N] | --ids FILE)
Writes OUT (safetensors) with input_ids [B, S] (int32: seeded random, or FILE's input_ids) and
logits [B, S, vocab].
"""
import argparse
import json
import struct

import numpy as np


def read_safetensors(path):
    blob = open(path, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    data = blob[8 + length :]
    dtypes = {"F32": np.float32, "I32": np.int32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]])
        tensors[name] = array.reshape(entry["shape"])
    return tensors


def write_safetensors(path, tensors):
    names = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}
    header, offset, chunks = {}, 0, []
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def layer_norm(x, gain, bias, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def forward(cfg, w, ids):
    get = lambda name: w[name].astype(np.float64)
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg.get("layer_norm_epsilon", 1e-5)
    batch, seq = ids.shape
    x = get("transformer.wte.weight")[ids] + get("transformer.wpe.weight")[np.arange(seq)]
    causal = np.tril(np.ones((seq, seq), dtype=bool))
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        h = layer_norm(x, get(p + "ln_1.weight"), get(p + "ln_1.bias"), eps)
        qkv = h @ get(p + "attn.c_attn.weight") + get(p + "attn.c_attn.bias")
        q, k, v = np.split(qkv, 3, axis=-1)
        split = lambda t: t.reshape(batch, seq, heads, d // heads).transpose(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d // heads)
        scores = np.where(causal, scores, np.finfo(np.float32).min)
        a = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, seq, d)
        x = x + a @ get(p + "attn.c_proj.weight") + get(p + "attn.c_proj.bias")
        h = layer_norm(x, get(p + "ln_2.weight"), get(p + "ln_2.bias"), eps)
        h = gelu_new(h @ get(p + "mlp.c_fc.weight") + get(p + "mlp.c_fc.bias"))
        x = x + h @ get(p + "mlp.c_proj.weight") + get(p + "mlp.c_proj.bias")
    x = layer_norm(x, get("transformer.ln_f.weight"), get("transformer.ln_f.bias"), eps)
    return x @ get("transformer.wte.weight").T


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("weights")
    parser.add_argument("out")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--seq", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ids")
    args = parser.parse_args()
    cfg = json.load(open(args.config))
    if args.ids:
        ids = read_safetensors(args.ids)["input_ids"].astype(np.int32)
    else:
        rng = np.random.default_rng(args.seed)
        ids = rng.integers(0, cfg["vocab_size"], size=(args.batch, args.seq)).astype(np.int32)
    logits = forward(cfg, read_safetensors(args.weights), ids).astype(np.float32)
    write_safetensors(args.out, {"input_ids": ids, "logits": logits})


main()
