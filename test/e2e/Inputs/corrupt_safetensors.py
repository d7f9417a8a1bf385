"""Writes a damaged copy of a safetensors file, for testing how attune reports bad weights.

usage: corrupt_safetensors.py IN OUT MODE [TENSOR [ARG]]
modes: truncate, header-past-end, out-of-range T, overlap T, drop T, rename T NEW,
       reshape T, dtype T, replace T FILE (T's entry and bytes taken from FILE: a valid file
       whose tensors disagree with each other), set T INDEX VALUE (element INDEX of T,
       I32, I64 or F32, becomes VALUE: an input no model should take, a NaN weight),
       unaligned (a valid file whose header length is 1 past a multiple of 8, leaving every
       tensor's data misaligned: the format pads headers to 8 bytes, not every writer does)
"""
import json
import struct
import sys


def main():
    src, dst, mode = sys.argv[1:4]
    tensor = sys.argv[4] if len(sys.argv) > 4 else None
    blob = open(src, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    data = blob[8 + length :]

    if mode == "truncate":
        open(dst, "wb").write(blob[: len(blob) - 100])
        return
    if mode == "unaligned":
        text = json.dumps(header).encode()
        text += b" " * ((1 - len(text)) % 8)
        open(dst, "wb").write(struct.pack("<Q", len(text)) + text + data)
        return
    if mode == "header-past-end":
        open(dst, "wb").write(struct.pack("<Q", len(blob)) + blob[8:])
        return
    if mode == "replace":
        other = open(sys.argv[5], "rb").read()
        (other_length,) = struct.unpack("<Q", other[:8])
        other_entry = json.loads(other[8 : 8 + other_length])[tensor]
        begin, end = other_entry["data_offsets"]
        raw = other[8 + other_length + begin : 8 + other_length + end]
        other_entry["data_offsets"] = [len(data), len(data) + len(raw)]
        header[tensor] = other_entry
        data += raw
        mode = "rewrite"
    entry = header[tensor]
    if mode == "set":
        form = {"I32": "<i", "I64": "<q", "F32": "<f"}[entry["dtype"]]
        index = int(sys.argv[5])
        value = float(sys.argv[6]) if form == "<f" else int(sys.argv[6])
        at = entry["data_offsets"][0] + index * struct.calcsize(form)
        data = data[:at] + struct.pack(form, value) + data[at + struct.calcsize(form):]
        mode = "rewrite"
    if mode == "rewrite":
        pass
    elif mode == "out-of-range":
        entry["data_offsets"] = [len(data) - 4, len(data) + 252]
    elif mode == "overlap":
        begin, end = entry["data_offsets"]
        victim = next(k for k, v in header.items() if k != "__metadata__" and k != tensor
                      and v["data_offsets"][1] - v["data_offsets"][0] >= end - begin)
        size = end - begin
        start = header[victim]["data_offsets"][0]
        entry["data_offsets"] = [start, start + size]
    elif mode == "drop":
        del header[tensor]
    elif mode == "rename":
        header[sys.argv[5]] = header.pop(tensor)
    elif mode == "reshape":
        shape = entry["shape"]
        entry["shape"] = [shape[0] // 2, 2] + shape[1:]
    elif mode == "dtype":
        entry["dtype"] = "I32"
    else:
        sys.exit("unknown mode " + mode)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    open(dst, "wb").write(struct.pack("<Q", len(text)) + text + data)


main()
