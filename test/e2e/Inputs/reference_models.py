"""Independent forward passes in numpy (float64) of GPT-2, BERT, Llama and T5, written from the
Hugging Face model definitions: they check attune on configurations that have no HF reference.
T5's decoder sequence is half the encoder's when inputs are generated.

usage: reference_models.py MODEL CONFIG WEIGHTS OUT (--batch B --seq S [--seed N] | --inputs FILE)
Writes OUT (safetensors) with the inputs (seeded random, or FILE's) and the outputs, under
Hugging Face's names. MODEL is gpt2, bert, llama or t5.
"""
import argparse
import json
import math
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
    tensors = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in tensors.items()}
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


def gpt2(cfg, w, inputs):
    ids = inputs["input_ids"]
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
    return {"logits": x @ get("transformer.wte.weight").T}


def attend(q, k, v, allowed):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(allowed, scores, np.finfo(np.float32).min)
    return softmax(scores) @ v


def bert(cfg, w, inputs):
    ids, mask, types = inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"]
    get = lambda name: w[name].astype(np.float64)
    linear = lambda x, p: x @ get(p + ".weight").T + get(p + ".bias")
    norm = lambda x, p: layer_norm(x, get(p + ".weight"), get(p + ".bias"), cfg["layer_norm_eps"])
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    batch, seq = ids.shape
    x = (get("embeddings.word_embeddings.weight")[ids]
         + get("embeddings.token_type_embeddings.weight")[types]
         + get("embeddings.position_embeddings.weight")[np.arange(seq)])
    x = norm(x, "embeddings.LayerNorm")
    keep = (mask != 0)[:, None, None, :]
    split = lambda t: t.reshape(batch, seq, heads, d // heads).transpose(0, 2, 1, 3)
    erf = np.vectorize(math.erf)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (split(linear(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        a = attend(q, k, v, keep).transpose(0, 2, 1, 3).reshape(batch, seq, d)
        x = norm(x + linear(a, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
        x = norm(x + linear(h, p + "output.dense"), p + "output.LayerNorm")
    pooled = np.tanh(linear(x[:, 0], "pooler.dense"))
    return {"last_hidden_state": x, "pooler_output": pooled}


def llama(cfg, w, inputs):
    ids = inputs["input_ids"]
    get = lambda name: w[name].astype(np.float64)
    proj = lambda x, p: x @ get(p + ".weight").T
    eps = cfg["rms_norm_eps"]
    rms = lambda x, p: x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * get(p + ".weight")
    heads, groups = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // heads
    theta = cfg.get("rope_theta") or cfg["rope_parameters"]["rope_theta"]
    batch, seq = ids.shape
    inv = 1.0 / theta ** (np.arange(0, hd, 2) / hd)
    angles = np.arange(seq)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([angles] * 2, -1)), np.sin(np.concatenate([angles] * 2, -1))
    rotate = lambda t: np.concatenate([-t[..., hd // 2 :], t[..., : hd // 2]], -1)
    rope = lambda t: t * cos + rotate(t) * sin
    split = lambda t, n: t.reshape(batch, seq, n, hd).transpose(0, 2, 1, 3)
    causal = np.tril(np.ones((seq, seq), dtype=bool))
    silu = lambda t: t / (1 + np.exp(-t))
    x = get("model.embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, p + "input_layernorm")
        q = rope(split(proj(h, p + "self_attn.q_proj"), heads))
        k = np.repeat(rope(split(proj(h, p + "self_attn.k_proj"), groups)), heads // groups, 1)
        v = np.repeat(split(proj(h, p + "self_attn.v_proj"), groups), heads // groups, 1)
        a = attend(q, k, v, causal).transpose(0, 2, 1, 3).reshape(batch, seq, heads * hd)
        x = x + proj(a, p + "self_attn.o_proj")
        h = rms(x, p + "post_attention_layernorm")
        x = x + proj(silu(proj(h, p + "mlp.gate_proj")) * proj(h, p + "mlp.up_proj"),
                     p + "mlp.down_proj")
    return {"logits": proj(rms(x, "model.norm"), "lm_head")}


def t5_bucket(r, bidirectional, buckets, max_distance):
    offset, n = 0, buckets
    if bidirectional:
        n //= 2
        offset = n if r > 0 else 0
        r = abs(r)
    else:
        r = -min(r, 0)
    exact = n // 2
    if r < exact:
        return offset + r
    large = exact + int(np.log(np.float32(r) / exact) / math.log(max_distance / exact) * (n - exact))
    return offset + min(large, n - 1)


def t5(cfg, w, inputs):
    get = lambda name: w[name].astype(np.float64)
    eps, heads, d_kv, d = cfg["layer_norm_epsilon"], cfg["num_heads"], cfg["d_kv"], cfg["d_model"]
    buckets = cfg["relative_attention_num_buckets"]
    max_distance = cfg["relative_attention_max_distance"]
    rms = lambda x, p: x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * get(p + ".weight")
    proj = lambda x, p: x @ get(p + ".weight").T

    def bias(q_len, k_len, p, bidirectional):
        r = np.arange(k_len)[None, :] - np.arange(q_len)[:, None]
        b = np.vectorize(lambda v: t5_bucket(v, bidirectional, buckets, max_distance))(r)
        return get(p + ".weight")[b].transpose(2, 0, 1)[None]

    def attention(x, kv, p, position_bias, allowed):
        split = lambda t: t.reshape(t.shape[0], t.shape[1], heads, d_kv).transpose(0, 2, 1, 3)
        q, k, v = split(proj(x, p + ".q")), split(proj(kv, p + ".k")), split(proj(kv, p + ".v"))
        scores = np.where(allowed, q @ np.swapaxes(k, -1, -2) + position_bias,
                          np.finfo(np.float32).min)
        o = (softmax(scores) @ v).transpose(0, 2, 1, 3)
        return proj(o.reshape(o.shape[0], o.shape[1], heads * d_kv), p + ".o")

    def ff(x, p):
        h = np.maximum(proj(rms(x, p + ".layer_norm"), p + ".DenseReluDense.wi"), 0)
        return x + proj(h, p + ".DenseReluDense.wo")

    ids, dec = inputs["input_ids"], inputs["decoder_input_ids"]
    x = get("shared.weight")[ids]
    s = ids.shape[1]
    eb = bias(s, s, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias", True)
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}.layer"
        h = rms(x, p + ".0.layer_norm")
        x = x + attention(h, h, p + ".0.SelfAttention", eb, True)
        x = ff(x, p + ".1")
    memory = rms(x, "encoder.final_layer_norm")
    y = get("shared.weight")[dec]
    t = dec.shape[1]
    db = bias(t, t, "decoder.block.0.layer.0.SelfAttention.relative_attention_bias", False)
    causal = np.tril(np.ones((t, t), dtype=bool))
    for i in range(cfg.get("num_decoder_layers") or cfg["num_layers"]):
        p = f"decoder.block.{i}.layer"
        h = rms(y, p + ".0.layer_norm")
        y = y + attention(h, h, p + ".0.SelfAttention", db, causal)
        h = rms(y, p + ".1.layer_norm")
        y = y + attention(h, memory, p + ".1.EncDecAttention", 0.0, True)
        y = ff(y, p + ".2")
    y = rms(y, "decoder.final_layer_norm") * d**-0.5
    return {"logits": y @ get("shared.weight").T, "encoder_last_hidden_state": memory}


def random_inputs(model, cfg, batch, seq, rng):
    ids = rng.integers(0, cfg["vocab_size"], size=(batch, seq)).astype(np.int32)
    if model == "t5":
        # The decoder sequence is shorter than the encoder's, to tell the two apart.
        dec_len = max(1, seq // 2)
        dec = rng.integers(0, cfg["vocab_size"], size=(batch, dec_len)).astype(np.int32)
        return {"input_ids": ids, "decoder_input_ids": dec}
    if model != "bert":
        return {"input_ids": ids}
    # Every row but the first is padded after a random length (at least one real token).
    mask = np.ones((batch, seq), dtype=np.int32)
    for row in range(1, batch):
        mask[row, rng.integers(1, seq + 1):] = 0
    types = rng.integers(0, cfg.get("type_vocab_size", 2), size=(batch, seq)).astype(np.int32)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=["gpt2", "bert", "llama", "t5"])
    parser.add_argument("config")
    parser.add_argument("weights")
    parser.add_argument("out")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--seq", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inputs", help="take the inputs from this safetensors file")
    args = parser.parse_args()
    cfg = json.load(open(args.config))
    if args.inputs:
        given = read_safetensors(args.inputs)
        names = {"bert": ["input_ids", "attention_mask", "token_type_ids"],
                 "t5": ["input_ids", "decoder_input_ids"]}.get(args.model, ["input_ids"])
        inputs = {n: given[n].astype(np.int32) for n in names}
    else:
        inputs = random_inputs(args.model, cfg, args.batch, args.seq, np.random.default_rng(args.seed))
    forward = {"gpt2": gpt2, "bert": bert, "llama": llama, "t5": t5}[args.model]
    outputs = forward(cfg, read_safetensors(args.weights), inputs)
    write_safetensors(args.out, {**inputs, **outputs})


if __name__ == "__main__":
    main()
