"""Writes a copy of a safetensors checkpoint as checkpoints are published: in half precision
(--dtype: every F32 tensor stored as F16, IEEE binary16, or BF16, bfloat16 rounded to nearest
even; other tensors kept), and/or sharded (--shards N: a model directory of N shard files,
model-0000i-of-0000N.safetensors, cut in header order at about equal sizes, with the
model.safetensors.index.json that maps each tensor to its shard, and the config.json,
generation_config.json and tokenizer.json found beside the input). __metadata__ is kept. Used
by the tests to check that attune reads such checkpoints (test/e2e/half-weights.test,
test/e2e/model-directory.test) and by users to try a model in either form.

usage: convert_checkpoint.py IN OUT [--dtype f16|bf16] [--shards N]
  IN: a .safetensors file or a model directory holding model.safetensors
  OUT: a .safetensors file, or with --shards the model directory to write
(numpy only)
"""
import argparse
import json
import os
import shutil
import struct

import numpy as np

BESIDE_WEIGHTS = ["config.json", "generation_config.json", "tokenizer.json"]


def read(path):
    blob = open(path, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    return header, blob[8 + length :]


def to_bf16(values):
    """float32 -> bfloat16 bits, rounded to nearest even; NaN stays NaN."""
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    out[np.isnan(values)] = 0x7FC0
    return out


def converted(dtype, raw, to):
    """(dtype, bytes) of one tensor after the --dtype conversion."""
    if dtype != "F32" or to is None:
        return dtype, raw
    values = np.frombuffer(raw, dtype="<f4")
    if to == "f16":
        return "F16", values.astype("<f2").tobytes()
    return "BF16", to_bf16(values).astype("<u2").tobytes()


def write(path, tensors, metadata):
    """A safetensors file of (name, dtype, shape, bytes) tuples, data 8-byte aligned."""
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def split(tensors, shards):
    """`tensors` cut in order into `shards` runs of about equal bytes, none empty."""
    if shards > len(tensors):
        raise SystemExit(f"--shards {shards}: the checkpoint has only {len(tensors)} tensors")
    total = sum(len(t[3]) for t in tensors)
    runs, current, done = [], [], 0
    for i, tensor in enumerate(tensors):
        current.append(tensor)
        done += len(tensor[3])
        left_tensors, left_runs = len(tensors) - i - 1, shards - len(runs) - 1
        if left_runs and (done >= total * (len(runs) + 1) / shards or left_tensors == left_runs):
            runs.append(current)
            current = []
    runs.append(current)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--dtype", choices=["f16", "bf16"])
    parser.add_argument("--shards", type=int)
    args = parser.parse_args()
    if args.dtype is None and args.shards is None:
        parser.error("give --dtype, --shards or both")
    if args.shards is not None and args.shards < 1:
        parser.error("--shards must be at least 1")

    source = args.input
    if os.path.isdir(source):
        source = os.path.join(source, "model.safetensors")
    header, data = read(source)
    metadata = header.pop("__metadata__", None)
    tensors = []
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype, raw = converted(entry["dtype"], data[begin:end], args.dtype)
        tensors.append((name, dtype, entry["shape"], raw))

    if args.shards is None:
        write(args.output, tensors, metadata)
        return
    os.makedirs(args.output, exist_ok=True)
    runs = split(tensors, args.shards)
    weight_map = {}
    for i, run in enumerate(runs, 1):
        shard = f"model-{i:05d}-of-{len(runs):05d}.safetensors"
        write(os.path.join(args.output, shard), run, metadata)
        weight_map.update({t[0]: shard for t in run})
    index = {"metadata": {"total_size": sum(len(t[3]) for t in tensors)},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(args.output, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    for name in BESIDE_WEIGHTS:
        beside = os.path.join(os.path.dirname(source), name)
        if os.path.exists(beside):
            shutil.copyfile(beside, os.path.join(args.output, name))


main()
