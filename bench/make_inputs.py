"""Writes token-id inputs for a benchmark run: every named tensor is int32 [batch, seq] of
seeded pseudo-random ids below `vocab` (attention_mask is all ones, token_type_ids zeros).

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
    if name == "attention_mask":
        ids = [1] * (batch * seq)
    elif name == "token_type_ids":
        ids = [0] * (batch * seq)
    else:
        ids = [rng.randrange(vocab) for _ in range(batch * seq)]
    raw = struct.pack(f"<{len(ids)}i", *ids)
    header[name] = {"dtype": "I32", "shape": [batch, seq], "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    blobs.append(raw)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(out, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
