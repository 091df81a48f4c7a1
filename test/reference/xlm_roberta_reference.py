#!/usr/bin/env python3
"""Independent float64 numpy reference for a Hugging Face XLMRobertaModel + sentence-transformers pooling.

Written from transformers' modeling_xlm_roberta.py, sharing no code with the TypeScript implementation:
XLMRobertaEmbeddings numbers positions with create_position_ids_from_input_ids (non-padding tokens count
up from padding_idx + 1, padding tokens get padding_idx; padding_idx = config.pad_token_id), adds
token_type_embeddings (type 0 when the caller passes none), then LayerNorm; XLMRobertaLayer is the
post-LayerNorm self-attention + feed-forward block with the additive float32-min mask of eager attention.
The generic numpy pieces (safetensors reader, LayerNorm, activations, dense, pooling) come from
bert_reference.py, which is independent of the TypeScript code as well.

stdin: JSON request (or an array of them -> an array of answers)
  {"model_dir": str, "mode": "forward" | "fd",
   "batches": [{"input_ids": [[int]], "attention_mask": [[int]], "token_type_ids": [[int]] (optional)}],
   "pooling": "mean" | "cls" | "max", "normalize": bool,
   # mode "fd" only: loss = sum_b sum(w_b * sentence_embedding_b), central differences per coordinate
   "w": [[[float]]] (one [B, H] matrix per batch), "coords": [[param_name, flat_index]], "eps": float}
stdout: JSON
  forward: {"results": [{"last_hidden_state": [[[...]]], "sentence_embedding": [[...]], "position_ids": [[int]],
                         "all_poolings": {"mean" | "mean+normalize" | "cls" | ...: [[...]]}}]}
  fd:      {"loss": float, "grads": [float]}
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import F32_MIN, act, dense, layer_norm, pool, read_safetensors  # noqa: E402


def read_weights(model_dir):
    """XLMRobertaModel names: task models (XLMRobertaForMaskedLM, ...) prefix the encoder with `roberta.`."""
    W = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    return {(k[len("roberta.") :] if k.startswith("roberta.") else k): v for k, v in W.items()}


def create_position_ids_from_input_ids(input_ids, padding_idx):
    mask = (input_ids != padding_idx).astype(np.int64)
    incremental_indices = np.cumsum(mask, axis=1) * mask
    return incremental_indices + padding_idx


def embeddings(W, cfg, input_ids, token_type_ids):
    padding_idx = cfg.get("pad_token_id", 1)
    position_ids = create_position_ids_from_input_ids(input_ids, padding_idx)
    if token_type_ids is None:
        token_type_ids = np.zeros_like(input_ids)
    e = W["embeddings.word_embeddings.weight"][input_ids] + W["embeddings.token_type_embeddings.weight"][token_type_ids]
    e = e + W["embeddings.position_embeddings.weight"][position_ids]
    eps = cfg.get("layer_norm_eps", 1e-12)
    return layer_norm(e, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps), position_ids


def xlm_roberta(W, cfg, input_ids, attention_mask, token_type_ids):
    B, S = input_ids.shape
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    hd = H // nh
    eps = cfg.get("layer_norm_eps", 1e-12)
    x, position_ids = embeddings(W, cfg, input_ids, token_type_ids)
    extended = (1.0 - attention_mask[:, None, None, :].astype(np.float64)) * F32_MIN
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l

        def split_heads(t):
            return t.reshape(B, S, nh, hd).transpose(0, 2, 1, 3)

        q = split_heads(dense(x, W, p + "attention.self.query"))
        k = split_heads(dense(x, W, p + "attention.self.key"))
        v = split_heads(dense(x, W, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + extended
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, H)
        attn = dense(context, W, p + "attention.output.dense")
        attn = layer_norm(attn + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        inter = act(dense(attn, W, p + "intermediate.dense"), cfg.get("hidden_act", "gelu"))
        out = dense(inter, W, p + "output.dense")
        x = layer_norm(out + attn, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return x, position_ids


def run(W, cfg, req):
    out = []
    for b in req["batches"]:
        ids = np.array(b["input_ids"], dtype=np.int64)
        mask = np.array(b["attention_mask"], dtype=np.int64)
        types = np.array(b["token_type_ids"], dtype=np.int64) if b.get("token_type_ids") is not None else None
        h, positions = xlm_roberta(W, cfg, ids, mask, types)
        out.append((h, mask, positions, pool(h, mask, req.get("pooling", "mean"), req.get("normalize", False))))
    return out


def loss(W, cfg, req):
    return sum(float((np.array(w) * e).sum()) for w, (_, _, _, e) in zip(req["w"], run(W, cfg, req)))


def answer(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_weights(req["model_dir"])
    if req.get("mode", "forward") == "forward":
        res = []
        for h, mask, positions, e in run(W, cfg, req):
            every = {m + ("+normalize" if n else ""): pool(h, mask, m, n).tolist() for m in ("mean", "cls", "max") for n in (False, True)}
            res.append({"last_hidden_state": h.tolist(), "sentence_embedding": e.tolist(), "position_ids": positions.tolist(), "all_poolings": every})
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
    req = json.load(sys.stdin)
    json.dump([answer(r) for r in req] if isinstance(req, list) else answer(req), sys.stdout)


if __name__ == "__main__":
    main()
