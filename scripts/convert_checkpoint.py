"""Writes a half-precision copy of a safetensors checkpoint, as checkpoints are published:
every F32 tensor stored as F16 (IEEE binary16) or BF16 (bfloat16, rounded to nearest even),
other tensors and __metadata__ kept. Used by the tests to check that attune reads such files
(test/e2e/half-weights.test) and by users to try a model in either precision.

usage: convert_checkpoint.py IN.safetensors OUT.safetensors --dtype f16|bf16
(numpy only)
"""
import argparse
import json
import struct

import numpy as np


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--dtype", choices=["f16", "bf16"], required=True)
    args = parser.parse_args()

    header, data = read(args.input)
    out_header, chunks, offset = {}, [], 0
    for name, entry in header.items():
        if name == "__metadata__":
            out_header[name] = entry
            continue
        begin, end = entry["data_offsets"]
        raw = data[begin:end]
        dtype = entry["dtype"]
        if dtype == "F32":
            values = np.frombuffer(raw, dtype="<f4")
            if args.dtype == "f16":
                raw = values.astype("<f2").tobytes()
                dtype = "F16"
            else:
                raw = to_bf16(values).astype("<u2").tobytes()
                dtype = "BF16"
        out_header[name] = {"dtype": dtype, "shape": entry["shape"],
                            "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(out_header).encode()
    text += b" " * (-len(text) % 8)
    with open(args.output, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


main()
