"""Runs the bad-input corpus (bad-inputs/cases): malformed files and argument combinations
given to `attune build`, `attune run`, `attune generate` and the C API, each with the class
of error it must get (CLASSES). A case passes when its command ends within a time limit, by
exiting (not by a signal) with the class's status, and its error output shows both the
class's mark and the case's own message. Prints one line per case and a summary; exits 1 if
any case failed.

usage: bad_inputs.py CASES WORK  (WORK holds the built tiny GPT-2 and BERT libraries, gpt2/
and bert/, and capi_misuse built against the first; the malformed files are written to
WORK/bad/; `attune` comes from PATH)
"""
import json
import os
import re
import struct
import subprocess
import sys

# Each class of error: the exit status and what every message of the class shows
# (docs/robustness.md). The api-* classes are the C API's statuses, which capi_misuse prints
# before the message and turns into exit status 1.
CLASSES = {
    "usage": (2, r"^attune( \w+)?: |^usage: "),
    "description": (1, r"\S:\d+:\d+: error: "),
    "config": (1, r"\.json: "),
    "weights": (1, r"safetensors|weight '"),
    "input": (1, r"input|tensor|prompt"),
    "file": (1, r"cannot|No such file|not a regular file|directory"),
    "library": (1, r"librar|\.so"),
    "environment": (1, r"ATTUNE_\w+ is "),
    "not-finite": (1, r"not finite"),
    "api-invalid-argument": (1, r"^invalid argument: "),
    "api-shape": (1, r"^shape mismatch: "),
    "api-weights": (1, r"^bad weights: "),
    "api-io": (1, r"^i/o error: "),
}
TIME_LIMIT_S = 120


def safetensors(header, data=b"", length=None):
    """The bytes of a safetensors file with this header (JSON text or an object)."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def read_safetensors(path):
    blob = open(path, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + length]), blob[8 + length :]


def edited(path, edit):
    """The file at `path` with its header passed through edit(header, data) -> (header, data)."""
    header, data = read_safetensors(path)
    header, data = edit(header, data)
    return safetensors(header, data)


def set_entry(name, **fields):
    def edit(header, data):
        header[name].update(fields)
        return header, data
    return edit


def set_element(name, index, value):
    """Element `index` of F32 tensor `name` becomes `value`."""
    def edit(header, data):
        at = header[name]["data_offsets"][0] + 4 * index
        return header, data[:at] + struct.pack("<f", value) + data[at + 4 :]
    return edit


def ids_file(dtype, shape, values):
    form = {"I32": "<i", "I64": "<q", "F32": "<f"}[dtype]
    data = b"".join(struct.pack(form, v) for v in values)
    return safetensors({"input_ids": {"dtype": dtype, "shape": shape,
                                      "data_offsets": [0, len(data)]}}, data)


def shard_bytes(header, data, names):
    """A safetensors file of the tensors `names`, cut from (header, data)."""
    entries, chunks, offset = {}, [], 0
    for name in names:
        begin, end = header[name]["data_offsets"]
        entries[name] = {**header[name], "data_offsets": [offset, offset + end - begin]}
        chunks.append(data[begin:end])
        offset += end - begin
    text = json.dumps(entries).encode()
    return safetensors(text + b" " * (-len(text) % 8), b"".join(chunks))


def sharded_checkpoints(header, data):
    """Model directories of two shards (and an index) that disagree, by name: NAME/FILE."""
    names = [k for k in header if k != "__metadata__"]
    half = len(names) // 2
    first, second = names[:half], names[half:]
    shard = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    index = "model.safetensors.index.json"

    def index_of(weight_map):
        return json.dumps({"metadata": {"total_size": len(data)}, "weight_map": weight_map}).encode()

    good_map = {**{n: shard[0] for n in first}, **{n: shard[1] for n in second}}
    good = {shard[0]: shard_bytes(header, data, first), shard[1]: shard_bytes(header, data, second)}
    cases = {
        "shard-missing": {shard[0]: good[shard[0]], index: index_of(good_map)},
        "shard-twice": {shard[0]: shard_bytes(header, data, first + second[:1]),
                        shard[1]: good[shard[1]], index: index_of(good_map)},
        "shard-unlisted": {**good, index: index_of({k: v for k, v in good_map.items()
                                                    if k != second[-1]})},
        "shard-misplaced": {**good, index: index_of({**good_map, second[0]: shard[0]})},
        "shard-truncated": {shard[0]: good[shard[0]], shard[1]: good[shard[1]][:-100],
                            index: index_of(good_map)},
        "index-not-json": {**good, index: b"{ weight_map: }"},
        "index-no-map": {**good, index: json.dumps({"metadata": {}}).encode()},
        "index-listed-twice": {**good, index: index_of(good_map)[:-2]
                               + f', "{first[0]}": "{shard[1]}"}}}}'.encode()},
        "index-not-string": {**good, index: index_of({**good_map, first[0]: 1})},
        "index-escape": {**good, index: index_of({**good_map, first[0]: "../" + shard[0]})},
        "no-weights-dir": {"config.json": b"{}"},
    }
    return {f"{case}/{name}": content for case, files in cases.items()
            for name, content in files.items()}


def write_fixtures(bad, models):
    """The malformed files the cases name as {bad}/NAME."""
    weights = os.path.join(models, "gpt2-tiny", "model.safetensors")
    config = json.load(open(os.path.join(models, "gpt2-tiny", "config.json")))
    blob = open(weights, "rb").read()
    header, data = read_safetensors(weights)
    (length,) = struct.unpack("<Q", blob[:8])
    raw_header = blob[8 : 8 + length]
    first = next(k for k in header if k != "__metadata__")

    def with_config(**changes):
        return json.dumps({**config, **changes}).encode()

    files = {
        # weights
        "empty.safetensors": b"",
        "short.safetensors": b"\x10\x00\x00\x00",
        "zero-header.safetensors": struct.pack("<Q", 0) + data,
        "huge-header.safetensors": struct.pack("<Q", 1 << 63) + raw_header,
        "array-header.safetensors": safetensors(b"[]      "),
        "text-header.safetensors": safetensors(b"not json"),
        "nul-header.safetensors": safetensors(raw_header[:20] + b"\x00" + raw_header[21:], data),
        "garbage-after-header.safetensors": safetensors(raw_header + b"xyz", data),
        "truncated.safetensors": blob[: len(blob) - 100],
        "half.safetensors": blob[: len(blob) // 2],
        "duplicate.safetensors": safetensors(
            raw_header.rstrip()[:-1] + b", " + json.dumps({first: header[first]}).encode()[1:], data),
        "missing.safetensors": edited(weights, lambda h, d: ({k: v for k, v in h.items()
                                                            if k != "transformer.ln_f.bias"}, d)),
        "unknown-dtype.safetensors": edited(weights, set_entry(first, dtype="F8_E9")),
        "f64.safetensors": edited(weights, set_entry(first, dtype="F64")),
        "negative-shape.safetensors": edited(weights, set_entry(first, shape=[-512, -64])),
        "float-shape.safetensors": edited(weights, set_entry(first, shape=[512.5, 64])),
        "string-offsets.safetensors": edited(weights, set_entry(first, data_offsets="0")),
        "reversed-offsets.safetensors": edited(
            weights, set_entry(first, data_offsets=header[first]["data_offsets"][::-1])),
        "past-end.safetensors": edited(
            weights, set_entry("transformer.ln_f.bias", data_offsets=[len(data), len(data) + 256])),
        "wrong-size.safetensors": edited(weights, set_entry(first, shape=[511, 64])),
        "reshaped.safetensors": edited(weights, set_entry("transformer.ln_f.weight", shape=[32, 2])),
        "overflow-shape.safetensors": edited(weights, set_entry(first, shape=[1 << 40, 1 << 40])),
        "nan.safetensors": edited(weights, set_element("transformer.ln_f.weight", 0, float("nan"))),
        # inputs
        "ids-f32.safetensors": ids_file("F32", [1, 3], [1, 2, 3]),
        "ids-rank3.safetensors": ids_file("I32", [1, 1, 3], [1, 2, 3]),
        "ids-too-long.safetensors": ids_file("I32", [1, 65], range(65)),
        "ids-batch-9.safetensors": ids_file("I32", [9, 2], range(18)),
        "ids-past-vocab.safetensors": ids_file("I32", [1, 3], [1, 512, 3]),
        "ids-i64-wide.safetensors": ids_file("I64", [1, 2], [1, 1 << 40]),
        "ids-renamed.safetensors": safetensors({"input_idz": {"dtype": "I32", "shape": [1, 1],
                                                              "data_offsets": [0, 4]}}, b"\0" * 4),
        "ids-short-data.safetensors": safetensors({"input_ids": {"dtype": "I32", "shape": [1, 4],
                                                                 "data_offsets": [0, 16]}},
                                                  b"\0" * 8),
        # config.json
        "config-not-json.json": b"{ n_embd: 64 }",
        "config-empty.json": b"",
        "config-array.json": b"[1, 2, 3]",
        "config-truncated.json": json.dumps(config).encode()[:-20],
        "config-duplicate-key.json": json.dumps(config).encode()[:-1] + b', "n_embd": 32}',
        "config-missing-key.json": json.dumps({k: v for k, v in config.items()
                                               if k != "n_embd"}).encode(),
        "config-string.json": with_config(n_layer="two"),
        "config-float.json": with_config(n_embd=64.5),
        "config-zero-heads.json": with_config(n_head=0),
        "config-negative.json": with_config(n_embd=-64),
        "config-huge.json": with_config(n_embd=1 << 40),
        "config-overflow.json": with_config(n_embd=1 << 70),
        # generation and tokenizer files
        "generation-not-json.json": b"{ eos_token_id: }",
        "tokenizer-not-json.json": b"{\"model\": ",
        "tokenizer-unknown-model.json": json.dumps({"model": {"type": "Unigram", "vocab": []}})
                                       .encode(),
        # descriptions that are not text
        "binary.tfm": bytes(range(256)),
        "nul.tfm": b"model m(d = 8) {\n  input x: f32[batch, d]\0\n}\n",
        "latin1.tfm": b"# caf\xe9\nmodel m(d = 8) {\n  input x: f32[batch, d]\n  \xff\n}\n",
        "not-a-library.so": b"\x7fELF but not really",
        "libfake.so": b"\x7fELF but not really",
        **sharded_checkpoints(header, data),
    }
    for name, content in files.items():
        os.makedirs(os.path.dirname(os.path.join(bad, name)), exist_ok=True)
        with open(os.path.join(bad, name), "wb") as f:
            f.write(content)
    fifo = os.path.join(bad, "fifo.safetensors")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    os.makedirs(os.path.join(bad, "directory.safetensors"), exist_ok=True)


def parse_cases(path):
    """(line number, class, message, command) for each case line: CLASS | MESSAGE | COMMAND."""
    cases = []
    for number, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ", 2)]
        if len(parts) != 3 or parts[0] not in CLASSES:
            sys.exit(f"{path}:{number}: expected CLASS | MESSAGE | COMMAND, CLASS one of "
                     f"{', '.join(CLASSES)}")
        cases.append((number, *parts))
    return cases


def main():
    cases_path, work = sys.argv[1:3]
    here = os.path.dirname(os.path.abspath(cases_path))
    models = os.path.join(here, "..", "..", "..", "..", "models")
    bad = os.path.join(work, "bad")
    write_fixtures(bad, models)
    places = {
        "models": models,
        "descriptions": here,
        "bad": bad,
        "work": work,
        "gpt2": f"{work}/gpt2/libgpt2.so --weights {models}/gpt2-tiny/model.safetensors",
        "bert": f"{work}/bert/libbert.so --weights {models}/bert-tiny/model.safetensors",
        "gpt2_build": f"attune build {models}/gpt2.tfm --config {models}/gpt2-tiny/config.json "
                      f"-o out",
        "capi": f"env LD_LIBRARY_PATH={work}/gpt2 {work}/capi_misuse "
                f"{models}/gpt2-tiny/model.safetensors",
    }
    cases = parse_cases(cases_path)
    failed = 0
    for number, kind, message, command in cases:
        text = re.sub(r"\{(\w+)\}", lambda m: places[m.group(1)], command)
        try:
            done = subprocess.run(["bash", "-c", text], cwd=work, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=TIME_LIMIT_S)
            output = (done.stderr + done.stdout).decode(errors="replace")
            status = done.returncode
        except subprocess.TimeoutExpired:
            output, status = "", None
        want_status, mark = CLASSES[kind]
        if status is None:
            problem = f"no answer in {TIME_LIMIT_S} s"
        elif status != want_status:
            problem = f"exit status {status} (a signal: {status > 128}), expected {want_status}"
        elif not re.search(mark, output, re.M):
            problem = f"the output lacks the mark of a {kind} error ({mark})"
        elif not re.search(message, output, re.M):
            problem = f"the output lacks '{message}'"
        else:
            problem = None
        first = output.strip().splitlines()[0] if output.strip() else ""
        if problem:
            failed += 1
            print(f"FAIL line {number}: {kind}: {command}\n  {problem}\n  output: {output!r}")
        else:
            print(f"ok {kind}: {first}")
    print(f"{len(cases)} cases, {len(cases) - failed} as expected, {failed} not")
    sys.exit(1 if failed else 0)


main()
