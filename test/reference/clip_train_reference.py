#!/usr/bin/env python3
"""Independent float64 references for CLIP fine-tuning (numpy only).

Written from transformers' modeling_clip.py (CLIPModel forward, clip_loss) and open_clip's training loop
(AdamW without decay on ndim < 2 params and logit_scale, clip_grad_norm_, logit_scale.clamp_(0, ln 100) after
each update), sharing no code with the TypeScript implementation. The CLIPModel forward is clip_reference.py's,
the optimizer pieces nn_reference.py's (both independent of the TypeScript code as well).

stdin: one JSON request, or {"batch": [requests]}
  {"task": "loss", "text": [[..]], "image": [[..]], "logit_scale": float}
      -> {"loss", "grads": {"text", "image", "logit_scale"}, "fdError"}  (analytic gradients + FD check of them)
  {"task": "train", "model_dir", "lr", "weight_decay", "warmup_steps", "total_steps", "scheduler": "cosine"|"linear"|
   "constant", "max_grad_norm", "lock_text", "lock_image", "fd_eps",
   "steps": [{"input_ids": [[int]], "attention_mask": [[int]], "pixel_values": [[[[float]]]]}]}
      -> {"losses", "grad_norms", "logit_scales", "grad_max": {name: max |gradient| over the steps}, "weights": {name: flat list}}
   Gradients are central finite differences of the whole loss over every live coordinate.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_reference import text_model, vision_model  # noqa: E402
from nn_reference import AdamW, central_difference, clip_grad_norm, fd_gradient_tensors, read_safetensors, warmup_lr_lambda  # noqa: E402

TOWER_DEFAULTS = {"layer_norm_eps": 1e-5, "hidden_act": "quick_gelu"}


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clip_loss(t, i, scale):
    logits = math.exp(scale) * unit(t) @ unit(i).T
    b = len(t)

    def ce(z):  # mean cross-entropy towards the diagonal
        m = z.max(1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(z - m).sum(1))
        return float(np.mean(lse - z[np.arange(b), np.arange(b)]))

    return (ce(logits) + ce(logits.T)) / 2


def clip_loss_grads(t, i, scale):
    """Analytic gradients: dL/dlogits = (softmax_rows - I + softmax_cols - I) / (2B), then through exp(s)·unit·unitᵀ."""
    b = len(t)
    tn, inn = unit(t), unit(i)
    cos = tn @ inn.T
    z = math.exp(scale) * cos
    pr = np.exp(z - z.max(1, keepdims=True))
    pr /= pr.sum(1, keepdims=True)
    pc = np.exp(z - z.max(0, keepdims=True))
    pc /= pc.sum(0, keepdims=True)
    dz = (pr + pc - 2 * np.eye(b)) / (2 * b)
    g_scale = float((dz * z).sum())
    g_tn = math.exp(scale) * dz @ inn
    g_in = math.exp(scale) * dz.T @ tn

    def through_unit(x, xn, g):
        r = np.linalg.norm(x, axis=1, keepdims=True)
        return (g - xn * (xn * g).sum(1, keepdims=True)) / r

    return {"text": through_unit(t, tn, g_tn), "image": through_unit(i, inn, g_in), "logit_scale": g_scale}


def loss_task(req):
    t, i, s = np.array(req["text"], float), np.array(req["image"], float), float(req["logit_scale"])
    g = clip_loss_grads(t, i, s)
    h, worst = 1e-6, 0.0
    for name, x in (("text", t), ("image", i)):
        for idx in np.ndindex(x.shape):
            worst = max(worst, abs(central_difference(x, idx, lambda: clip_loss(t, i, s), h) - g[name][idx]))
    fd_s = (clip_loss(t, i, s + h) - clip_loss(t, i, s - h)) / (2 * h)
    worst = max(worst, abs(fd_s - g["logit_scale"]))
    return {"loss": clip_loss(t, i, s), "grads": {k: (v.tolist() if k != "logit_scale" else v) for k, v in g.items()}, "fdError": worst}


# ---- training ---------------------------------------------------------------------------------------------

def frozen(name, req):
    """open_clip lock_text / lock_image with no unlocked layers: the whole tower and its projection."""
    text = name.startswith("text_model.") or name == "text_projection.weight"
    image = name.startswith("vision_model.") or name == "visual_projection.weight"
    return (req.get("lock_text") and text) or (req.get("lock_image") and image)


def train_task(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        raw = json.load(f)
    cfg = {
        "text_config": {**TOWER_DEFAULTS, "eos_token_id": 49407, **raw.get("text_config", {})},
        "vision_config": {**TOWER_DEFAULTS, **raw.get("vision_config", {})},
    }
    W = {k: v.copy() for k, v in read_safetensors(os.path.join(req["model_dir"], "model.safetensors")).items() if not k.endswith("position_ids")}
    trainable = [k for k in W if not frozen(k, req)]

    def loss_of(step):
        _, t = text_model(W, cfg, np.array(step["input_ids"], dtype=np.int64), np.array(step["attention_mask"], dtype=np.int64))
        _, i = vision_model(W, cfg, np.array(step["pixel_values"], dtype=np.float64))
        return clip_loss(t, i, float(W["logit_scale"]))

    def live(step):
        ids = sorted({x for row in step["input_ids"] for x in row})
        seq = len(step["input_ids"][0])
        for name in trainable:
            if name == "text_model.embeddings.token_embedding.weight":
                D = W[name].shape[1]
                yield from ((name, r * D + j) for r in ids for j in range(D))
            elif name == "text_model.embeddings.position_embedding.weight":
                yield from ((name, i) for i in range(seq * W[name].shape[1]))
            else:
                yield from ((name, i) for i in range(W[name].size))

    no_decay = {k for k in trainable if W[k].ndim < 2 or "logit_scale" in k}
    opt = AdamW(W, trainable, decays=lambda name: name not in no_decay)
    losses, norms, scales = [], [], []
    grad_max = {name: 0.0 for name in trainable}
    for k, step in enumerate(req["steps"]):
        losses.append(loss_of(step))
        g = fd_gradient_tensors(W, trainable, live(step), lambda: loss_of(step), req.get("fd_eps", 1e-5))
        for name, x in g.items():
            grad_max[name] = max(grad_max[name], float(np.abs(x).max()))
        g, total = clip_grad_norm(g, req["max_grad_norm"])
        norms.append(total)
        opt.step(g, req["lr"] * warmup_lr_lambda(k, req["warmup_steps"], req["total_steps"], req["scheduler"]), req["weight_decay"])
        # in place: np.clip would return a numpy scalar for the 0-d tensor, and later finite differences would perturb a copy
        np.clip(W["logit_scale"], 0, math.log(100), out=W["logit_scale"])
        scales.append(float(W["logit_scale"]))
    return {"losses": losses, "grad_norms": norms, "logit_scales": scales, "grad_max": grad_max, "weights": {k: W[k].reshape(-1).tolist() for k in W}}


def main():
    req = json.load(sys.stdin)
    answer = lambda r: loss_task(r) if r["task"] == "loss" else train_task(r)
    json.dump([answer(r) for r in req["batch"]] if "batch" in req else answer(req), sys.stdout)


if __name__ == "__main__":
    main()
