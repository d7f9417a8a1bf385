"""Writes inputs for a benchmark run: every named tensor is int32 [batch, seq] of seeded
pseudo-random ids below `vocab` (attention_mask is all ones, token_type_ids zeros); a name
written NAME:HEADSxDIM is instead f32 [batch, HEADS, seq, DIM] uniform in [-1, 1), and one
written NAME:xDIM f32 [batch, seq, DIM]. NAME=LEN gives that id tensor LEN positions instead of
seq (a T5 decoder shorter than its encoder: decoder_input_ids=32).

usage: make_inputs.py OUT VOCAB BATCH SEQ NAME [NAME ...]
"""
import json
import random
import struct
import sys

out, vocab, batch, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(0)
header, blobs, offset = {}, [], 0
for name in sys.argv[5:]:
    if ":" in name:
        name, dims = name.split(":")
        heads, dim = (int(x) if x else None for x in dims.split("x"))
        shape = [batch, seq, dim] if heads is None else [batch, heads, seq, dim]
        count = batch * (heads or 1) * seq * dim
        raw = struct.pack(f"<{count}f", *(rng.uniform(-1, 1) for _ in range(count)))
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
        continue
    length = seq
    if "=" in name:
        name, length = name.split("=")
        length = int(length)
    if name == "attention_mask":
        ids = [1] * (batch * length)
    elif name == "token_type_ids":
        ids = [0] * (batch * length)
    else:
        ids = [rng.randrange(vocab) for _ in range(batch * length)]
    raw = struct.pack(f"<{len(ids)}i", *ids)
    header[name] = {"dtype": "I32", "shape": [batch, length], "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    blobs.append(raw)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(out, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
