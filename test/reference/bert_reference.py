#!/usr/bin/env python3
"""Independent float64 numpy reference for a Hugging Face BertModel + sentence-transformers pooling.

Written from the transformers (modeling_bert.py) and sentence-transformers (Pooling, Normalize) definitions,
sharing no code with the TypeScript implementation. Reads a model folder (config.json + model.safetensors).
The generic pieces (safetensors reader, LayerNorm, activations, dense, attention, finite differences) come
from nn_reference.py, which is independent of the TypeScript code as well.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import F32_MIN, act, attention, dense, fd_grads, layer_norm, serve, split_heads  # noqa: E402
from nn_reference import read_safetensors as read_tensors  # noqa: E402


def read_safetensors(path):
    """BertModel names: task models prefix the encoder (`bert.`, `model.`), old checkpoints say gamma/beta."""
    out = {}
    for name, arr in read_tensors(path).items():
        bare = name
        for prefix in ("bert.", "model."):
            if bare.startswith(prefix):
                bare = bare[len(prefix) :]
        if bare.endswith(".gamma"):
            bare = bare[: -len(".gamma")] + ".weight"
        if bare.endswith(".beta"):
            bare = bare[: -len(".beta")] + ".bias"
        out[bare] = arr
    return out


def encoder(x, W, cfg, mask):
    """BertEncoder: post-LayerNorm self-attention + feed-forward layers; `mask` is added to every head's scores."""
    nh = cfg["num_attention_heads"]
    hd = cfg["hidden_size"] // nh
    eps = cfg.get("layer_norm_eps", 1e-12)
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        q, k, v = (split_heads(dense(x, W, p + "attention.self." + n), nh) for n in ("query", "key", "value"))
        a = dense(attention(q, k, v, 1.0 / math.sqrt(hd), mask), W, p + "attention.output.dense")
        a = layer_norm(a + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        f = act(dense(a, W, p + "intermediate.dense"), cfg.get("hidden_act", "gelu"))
        f = dense(f, W, p + "output.dense")
        x = layer_norm(f + a, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return x


def bert(W, cfg, ids, mask, types):
    S = ids.shape[1]
    eps = cfg.get("layer_norm_eps", 1e-12)
    x = W["embeddings.word_embeddings.weight"][ids]
    x = x + W["embeddings.position_embeddings.weight"][np.arange(S)][None]
    x = x + W["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    # the additive float32-min padding mask of eager attention
    return encoder(x, W, cfg, (1.0 - mask[:, None, None, :].astype(np.float64)) * F32_MIN)


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


def bert_forward(W, cfg, b):
    """bert_batch's outputs and no extra fields: the `forward` that sentence_answer takes."""
    h, mask = bert_batch(W, cfg, b)
    return h, mask, {}


def sentence_answer(W, cfg, req, forward):
    """Answers one request of the format above; forward(W, cfg, batch) -> (last_hidden_state, mask, extra fields)."""

    def run():
        for b in req["batches"]:
            h, mask, extra = forward(W, cfg, b)
            yield h, mask, extra, pool(h, mask, req.get("pooling", "mean"), req.get("normalize", False))

    if req.get("mode", "forward") == "forward":
        res = []
        for h, mask, extra, e in run():
            every = {m + ("+normalize" if n else ""): pool(h, mask, m, n).tolist() for m in ("mean", "cls", "max") for n in (False, True)}
            res.append({"last_hidden_state": h.tolist(), "sentence_embedding": e.tolist(), **extra, "all_poolings": every})
        return {"results": res}

    def loss():
        return sum(float((np.array(w) * e).sum()) for w, (_, _, _, e) in zip(req["w"], run()))

    grads = fd_grads(W, req["coords"], loss, req.get("eps", 1e-6))
    return {"loss": loss(), "grads": grads}


def answer(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(req["model_dir"], "model.safetensors"))
    return sentence_answer(W, cfg, req, bert_forward)


if __name__ == "__main__":
    serve(answer)
