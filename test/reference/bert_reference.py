#!/usr/bin/env python3
"""Independent float64 numpy reference for a Hugging Face BertModel + sentence-transformers pooling.

Written from the transformers (modeling_bert.py) and sentence-transformers (Pooling, Normalize) definitions,
sharing no code with the TypeScript implementation. Reads a model folder (config.json + model.safetensors).

stdin: JSON request (or an array of them -> an array of answers)
  {"model_dir": str, "mode": "forward" | "fd",
   "batches": [{"input_ids": [[int]], "attention_mask": [[int]], "token_type_ids": [[int]]}],
   "pooling": "mean" | "cls" | "max", "normalize": bool,
   # mode "fd" only: loss = sum_b sum(w_b * sentence_embedding_b), central differences per coordinate
   "w": [[[float]]] (one [B, H] matrix per batch), "coords": [[param_name, flat_index]], "eps": float}
stdout: JSON
  forward: {"results": [{"last_hidden_state": [[[...]]], "sentence_embedding": [[...]],
                         "all_poolings": {"mean" | "mean+normalize" | "cls" | ...: [[...]]}}]}
  fd:      {"loss": float, "grads": [float]}
"""
import json
import math
import os
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}
F32_MIN = float(np.finfo(np.float32).min)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        buf = raw[base + a : base + b]
        if e["dtype"] == "BF16":
            arr = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(buf, DTYPES[e["dtype"]])
        bare = name
        for prefix in ("bert.", "model."):
            if bare.startswith(prefix):
                bare = bare[len(prefix) :]
        if bare.endswith(".gamma"):
            bare = bare[: -len(".gamma")] + ".weight"
        if bare.endswith(".beta"):
            bare = bare[: -len(".beta")] + ".bias"
        out[bare] = arr.astype(np.float64).reshape(e["shape"])
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def act(x, name):
    if name == "gelu":
        erf = np.vectorize(math.erf)
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    if name == "relu":
        return np.maximum(x, 0.0)
    raise ValueError("unsupported hidden_act " + name)


def dense(x, W, prefix):
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


def bert(W, cfg, ids, mask, types):
    B, S = ids.shape
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    hd = H // nh
    eps = cfg.get("layer_norm_eps", 1e-12)
    x = W["embeddings.word_embeddings.weight"][ids]
    x = x + W["embeddings.position_embeddings.weight"][np.arange(S)][None]
    x = x + W["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - mask[:, None, None, :].astype(np.float64)) * F32_MIN
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l

        def heads(t):
            return t.reshape(B, S, nh, hd).transpose(0, 2, 1, 3)

        q = heads(dense(x, W, p + "attention.self.query"))
        k = heads(dense(x, W, p + "attention.self.key"))
        v = heads(dense(x, W, p + "attention.self.value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + ext
        s = s - s.max(-1, keepdims=True)
        e = np.exp(s)
        probs = e / e.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, H)
        a = dense(ctx, W, p + "attention.output.dense")
        a = layer_norm(a + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        f = act(dense(a, W, p + "intermediate.dense"), cfg.get("hidden_act", "gelu"))
        f = dense(f, W, p + "output.dense")
        x = layer_norm(f + a, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return x


def pool(h, mask, mode, normalize):
    m = mask[:, :, None].astype(np.float64)
    if mode == "cls":
        e = h[:, 0]
    elif mode == "mean":
        e = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    elif mode == "max":
        e = np.where(m == 0, -1e9, h).max(1)
    else:
        raise ValueError("unsupported pooling " + mode)
    if normalize:
        e = e / np.maximum(np.sqrt((e * e).sum(-1, keepdims=True)), 1e-12)
    return e


def bert_batch(W, cfg, b):
    """last_hidden_state and attention mask of one tokenized batch {input_ids, attention_mask, token_type_ids}."""
    mask = np.array(b["attention_mask"], dtype=np.int64)
    ids = np.array(b["input_ids"], dtype=np.int64)
    types = np.array(b["token_type_ids"], dtype=np.int64)
    return bert(W, cfg, ids, mask, types), mask


def run(W, cfg, req):
    out = []
    for b in req["batches"]:
        h, mask = bert_batch(W, cfg, b)
        out.append((h, pool(h, mask, req.get("pooling", "mean"), req.get("normalize", False))))
    return out


def loss(W, cfg, req):
    return sum(float((np.array(w) * e).sum()) for w, (_, e) in zip(req["w"], run(W, cfg, req)))


def answer(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(req["model_dir"], "model.safetensors"))
    if req.get("mode", "forward") == "forward":
        res = []
        for b, (h, e) in zip(req["batches"], run(W, cfg, req)):
            mask = np.array(b["attention_mask"], dtype=np.int64)
            every = {m + ("+normalize" if n else ""): pool(h, mask, m, n).tolist() for m in ("mean", "cls", "max") for n in (False, True)}
            res.append({"last_hidden_state": h.tolist(), "sentence_embedding": e.tolist(), "all_poolings": every})
        return {"results": res}
    eps = req.get("eps", 1e-6)
    grads = []
    for name, idx in req["coords"]:
        flat = W[name].reshape(-1)  # a view: edits land in W
        orig = flat[idx]
        flat[idx] = orig + eps
        up = loss(W, cfg, req)
        flat[idx] = orig - eps
        down = loss(W, cfg, req)
        flat[idx] = orig
        grads.append((up - down) / (2 * eps))
    return {"loss": loss(W, cfg, req), "grads": grads}


def main():
    # A JSON array of requests gets an array of answers: one interpreter start (numpy import) for many.
    req = json.load(sys.stdin)
    json.dump([answer(r) for r in req] if isinstance(req, list) else answer(req), sys.stdout)


if __name__ == "__main__":
    main()
