#!/usr/bin/env python3
"""Independent float64 references for CLIP fine-tuning (numpy only).

Written from transformers' modeling_clip.py (CLIPModel forward, clip_loss) and open_clip's training loop
(AdamW without decay on ndim < 2 params and logit_scale, clip_grad_norm_, logit_scale.clamp_(0, ln 100) after
each update), sharing no code with the TypeScript implementation.

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
from bert_reference import read_safetensors  # noqa: E402  (a file reader only)

NEG = float(np.finfo(np.float32).min)  # HF fills masked logits with the dtype's min
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
            orig = x[idx]
            x[idx] = orig + h
            up = clip_loss(t, i, s)
            x[idx] = orig - h
            down = clip_loss(t, i, s)
            x[idx] = orig
            worst = max(worst, abs((up - down) / (2 * h) - g[name][idx]))
    fd_s = (clip_loss(t, i, s + h) - clip_loss(t, i, s - h)) / (2 * h)
    worst = max(worst, abs(fd_s - g["logit_scale"]))
    return {"loss": clip_loss(t, i, s), "grads": {k: (v.tolist() if k != "logit_scale" else v) for k, v in g.items()}, "fdError": worst}


# ---- CLIPModel forward ----------------------------------------------------------------------------------

def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def act(x, name):
    if name == "quick_gelu":
        return x / (1 + np.exp(-1.702 * x))
    if name == "gelu":
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    raise ValueError(f"hidden_act {name} not in this reference")


def encoder(W, pre, cfg, h, mask):
    heads, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
    B, S, D = h.shape
    hd = D // heads
    lin = lambda x, n: x @ W[n + ".weight"].T + W[n + ".bias"]
    for li in range(cfg["num_hidden_layers"]):
        p = f"{pre}.encoder.layers.{li}."
        x = layer_norm(h, W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], eps)
        split = lambda y: y.reshape(B, S, heads, hd).transpose(0, 2, 1, 3)
        q = split(lin(x, p + "self_attn.q_proj") * hd**-0.5)
        k, v = split(lin(x, p + "self_attn.k_proj")), split(lin(x, p + "self_attn.v_proj"))
        a = q @ k.transpose(0, 1, 3, 2)
        if mask is not None:
            a = a + mask
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, S, D)
        h = h + lin(ctx, p + "self_attn.out_proj")
        x = layer_norm(h, W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], eps)
        h = h + lin(act(lin(x, p + "mlp.fc1"), cfg["hidden_act"]), p + "mlp.fc2")
    return h


def text_embeds(W, cfg, ids, am):
    ids, am = np.array(ids), np.array(am)
    B, S = ids.shape
    h = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:S]
    causal = np.triu(np.full((S, S), NEG), 1)
    padding = (1 - am[:, None, None, :]) * NEG
    h = encoder(W, "text_model", cfg, h, causal[None, None] + padding)
    h = layer_norm(h, W["text_model.final_layer_norm.weight"], W["text_model.final_layer_norm.bias"], cfg["layer_norm_eps"])
    eos = cfg["eos_token_id"]
    idx = ids.argmax(1) if eos == 2 else (ids == eos).argmax(1)
    return h[np.arange(B), idx] @ W["text_projection.weight"].T


def image_embeds(W, cfg, pix):
    pix = np.array(pix, float)
    B, C, H, Wd = pix.shape
    p = cfg["patch_size"]
    gy, gx = H // p, Wd // p
    # Conv2d(stride = kernel = p, no bias) as a sum over each patch's (channel, row, column) window
    patches = pix.reshape(B, C, gy, p, gx, p).transpose(0, 2, 4, 1, 3, 5).reshape(B, gy * gx, C * p * p)
    conv = W["vision_model.embeddings.patch_embedding.weight"]
    emb = patches @ conv.reshape(conv.shape[0], -1).T
    cls = np.broadcast_to(W["vision_model.embeddings.class_embedding"], (B, 1, conv.shape[0]))
    h = np.concatenate([cls, emb], 1) + W["vision_model.embeddings.position_embedding.weight"]
    eps = cfg["layer_norm_eps"]
    h = layer_norm(h, W["vision_model.pre_layrnorm.weight"], W["vision_model.pre_layrnorm.bias"], eps)
    h = encoder(W, "vision_model", cfg, h, None)
    pooled = layer_norm(h[:, 0], W["vision_model.post_layernorm.weight"], W["vision_model.post_layernorm.bias"], eps)
    return pooled @ W["visual_projection.weight"].T


# ---- training ---------------------------------------------------------------------------------------------

def lr_lambda(k, req):
    warm, total = req["warmup_steps"], req["total_steps"]
    if k < warm:
        return k / max(1, warm)
    if req["scheduler"] == "constant":
        return 1.0
    progress = (k - warm) / max(1, total - warm)
    if req["scheduler"] == "cosine":
        return max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))
    return max(0.0, (total - k) / max(1, total - warm))


def frozen(name, req):
    """open_clip lock_text / lock_image with no unlocked layers: the whole tower and its projection."""
    text = name.startswith("text_model.") or name == "text_projection.weight"
    image = name.startswith("vision_model.") or name == "visual_projection.weight"
    return (req.get("lock_text") and text) or (req.get("lock_image") and image)


def train_task(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        raw = json.load(f)
    tcfg = {**TOWER_DEFAULTS, "eos_token_id": 49407, **raw.get("text_config", {})}
    vcfg = {**TOWER_DEFAULTS, **raw.get("vision_config", {})}
    W = {k: v.copy() for k, v in read_safetensors(os.path.join(req["model_dir"], "model.safetensors")).items() if not k.endswith("position_ids")}
    trainable = [k for k in W if not frozen(k, req)]

    def loss_of(step):
        t = text_embeds(W, tcfg, step["input_ids"], step["attention_mask"])
        i = image_embeds(W, vcfg, step["pixel_values"])
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
    m = {k: np.zeros_like(W[k]) for k in trainable}
    v = {k: np.zeros_like(W[k]) for k in trainable}
    b1, b2, eps, h = 0.9, 0.999, 1e-8, req.get("fd_eps", 1e-5)
    losses, norms, scales = [], [], []
    grad_max = {name: 0.0 for name in trainable}
    for k, step in enumerate(req["steps"]):
        losses.append(loss_of(step))
        g = {name: np.zeros_like(W[name]) for name in trainable}
        for name, i in live(step):
            flat, gflat = W[name].reshape(-1), g[name].reshape(-1)
            orig = flat[i]
            flat[i] = orig + h
            up = loss_of(step)
            flat[i] = orig - h
            down = loss_of(step)
            flat[i] = orig
            gflat[i] = (up - down) / (2 * h)
        for name, x in g.items():
            grad_max[name] = max(grad_max[name], float(np.abs(x).max()))
        total = math.sqrt(sum(float((x * x).sum()) for x in g.values()))
        norms.append(total)
        if req["max_grad_norm"] > 0:
            coef = min(1.0, req["max_grad_norm"] / (total + 1e-6))
            g = {name: x * coef for name, x in g.items()}
        lr = req["lr"] * lr_lambda(k, req)
        t = k + 1
        for name in trainable:
            if name not in no_decay:
                W[name] *= 1 - lr * req["weight_decay"]
            m[name] = b1 * m[name] + (1 - b1) * g[name]
            v[name] = b2 * v[name] + (1 - b2) * g[name] ** 2
            W[name] -= lr / (1 - b1**t) * m[name] / (np.sqrt(v[name]) / math.sqrt(1 - b2**t) + eps)
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
