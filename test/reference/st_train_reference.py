#!/usr/bin/env python3
"""End-to-end float64 reference of sentence-transformers training steps (HF Trainer semantics).

The forward pass is bert_reference.py's independent numpy BertModel + pooling; gradients are central finite
differences of the whole loss in float64 (so no backprop code is shared with, or mirrored from, ftlab);
the update is torch's clip_grad_norm_ -> AdamW (decoupled decay, none on biases/LayerNorm) at the lr of
get_linear_schedule_with_warmup / constant, where update k (0-based) runs at lr * lambda(k) (nn_reference.py).

stdin: {"model_dir", "loss": "mnrl"|"margin-mse", "scale", "pooling", "normalize", "lr", "weight_decay",
        "warmup_steps", "total_steps", "scheduler", "max_grad_norm", "fd_eps",
        "steps": [{"columns": {"query"|"positive"|"negative": {"input_ids","attention_mask","token_type_ids"}},
                   "margins": [..]?}]}
stdout: {"losses": [...], "grad_norms": [...], "weights": {name: flat list}}
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import bert_batch, pool, read_safetensors  # noqa: E402
from nn_reference import AdamW, clip_grad_norm, fd_gradient_tensors, warmup_lr_lambda  # noqa: E402


def embed(W, cfg, col, req):
    h, mask = bert_batch(W, cfg, col)
    return pool(h, mask, req["pooling"], req["normalize"])


def loss_value(W, cfg, step, req):
    cols = step["columns"]
    q = embed(W, cfg, cols["query"], req)
    p = embed(W, cfg, cols["positive"], req)
    n = embed(W, cfg, cols["negative"], req) if "negative" in cols else None
    if req["loss"] == "margin-mse":
        pred = (q * p).sum(1) - (q * n).sum(1)
        return float(np.mean((pred - np.array(step["margins"])) ** 2))
    c = p if n is None else np.concatenate([p, n])
    unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    s = req["scale"] * unit(q) @ unit(c).T
    m = s.max(1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(s - m).sum(1))
    return float(np.mean(lse - s[np.arange(len(q)), np.arange(len(q))]))


def live_coords(W, cfg, step):
    """Coordinates whose gradient can be non-zero: embedding rows the batch uses, every other tensor."""
    ids, seq = set(), 0
    for col in step["columns"].values():
        for row in col["input_ids"]:
            ids.update(row)
            seq = max(seq, len(row))
    H = cfg["hidden_size"]
    coords = []
    for name, t in W.items():
        if name.startswith("pooler."):
            continue
        if name == "embeddings.word_embeddings.weight":
            rows = sorted(ids)
        elif name == "embeddings.position_embeddings.weight":
            rows = range(seq)
        elif name == "embeddings.token_type_embeddings.weight":
            rows = [0]
        else:
            coords += [(name, i) for i in range(t.size)]
            continue
        coords += [(name, r * H + j) for r in rows for j in range(H)]
    return coords


def main():
    req = json.load(sys.stdin)
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(req["model_dir"], "model.safetensors"))
    W = {k: v.copy() for k, v in W.items() if k != "embeddings.position_ids"}
    trainable = [k for k in W if not k.startswith("pooler.")]
    opt = AdamW(W, trainable, decays=lambda name: not ("bias" in name or "LayerNorm" in name))
    losses, norms = [], []
    for k, step in enumerate(req["steps"]):
        losses.append(loss_value(W, cfg, step, req))
        g = fd_gradient_tensors(W, trainable, live_coords(W, cfg, step), lambda: loss_value(W, cfg, step, req), req.get("fd_eps", 1e-5))
        g, total = clip_grad_norm(g, req["max_grad_norm"])
        norms.append(total)
        opt.step(g, req["lr"] * warmup_lr_lambda(k, req["warmup_steps"], req["total_steps"], req["scheduler"]), req["weight_decay"])
    json.dump({"losses": losses, "grad_norms": norms, "weights": {k: W[k].reshape(-1).tolist() for k in trainable}}, sys.stdout)


if __name__ == "__main__":
    main()
