#!/usr/bin/env python3
"""Independent float64 numpy reference for a Hugging Face CLIPModel and CLIP's byte-level BPE tokenizer.

Written from transformers' modeling_clip.py (CLIPTextTransformer, CLIPVisionTransformer, CLIPModel.forward,
clip_loss) and openai/CLIP simple_tokenizer.py, sharing no code with the TypeScript implementation: the patch
embedding is an explicit per-patch convolution, the masks are HF's additive causal + padding masks, pooling
indexes the EOS position. The generic pieces (safetensors reader, LayerNorm, activations, dense, attention,
finite differences) come from nn_reference.py, which is independent of the TypeScript code as well.

stdin: JSON request (or an array of them -> an array of answers)
  {"model_dir": str, "mode": "forward" | "fd" | "tokenize",
   "input_ids": [[int]], "attention_mask": [[int]], "pixel_values": [B][C][H][W],
   # fd: loss = CLIP contrastive loss of (text row i, image i); central differences per coordinate
   "coords": [[param_name, flat_index]], "eps": float,
   # tokenize: ids as CLIPTokenizer(text, truncation=True, max_length=max_length) gives them
   "texts": [str], "max_length": int}
stdout: forward: {"text_embeds", "image_embeds", "text_last_hidden_state", "image_last_hidden_state",
                  "logits_per_text", "loss"}; fd: {"loss", "grads"}; tokenize: {"ids": [[int]]}
"""
import json
import math
import os
import sys
import unicodedata

import numpy as np
import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import F32_MIN, act, attention, dense, fd_grads, read_safetensors, serve, split_heads  # noqa: E402
from nn_reference import layer_norm as norm  # noqa: E402


def layer_norm(x, W, name, eps):
    return norm(x, W[name + ".weight"], W[name + ".bias"], eps)


def encoder(x, W, cfg, prefix, mask):
    """CLIPEncoder: pre-LN layers; `mask` is added to every head's scores (or None)."""
    nh = cfg["num_attention_heads"]
    hd = x.shape[-1] // nh
    eps = cfg["layer_norm_eps"]
    for l in range(cfg["num_hidden_layers"]):
        p = "%s.encoder.layers.%d." % (prefix, l)
        y = layer_norm(x, W, p + "layer_norm1", eps)
        q, k, v = (split_heads(dense(y, W, p + "self_attn.%s_proj" % n), nh) for n in "qkv")
        x = x + dense(attention(q, k, v, hd**-0.5, mask), W, p + "self_attn.out_proj")
        y = layer_norm(x, W, p + "layer_norm2", eps)
        x = x + dense(act(dense(y, W, p + "mlp.fc1"), cfg["hidden_act"]), W, p + "mlp.fc2")
    return x


def text_model(W, cfg, ids, attn):
    t = cfg["text_config"]
    B, S = ids.shape
    x = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:S][None]
    # _create_4d_causal_attention_mask + _prepare_4d_attention_mask, added to the scores
    causal = np.triu(np.full((S, S), F32_MIN), 1)[None, None]
    padding = (1.0 - attn[:, None, None, :].astype(np.float64)) * F32_MIN
    x = encoder(x, W, t, "text_model", causal + padding)
    x = layer_norm(x, W, "text_model.final_layer_norm", t["layer_norm_eps"])
    if t["eos_token_id"] == 2:
        eos = ids.argmax(-1)
    else:
        eos = (ids == t["eos_token_id"]).astype(np.int64).argmax(-1)
    pooled = x[np.arange(B), eos]
    return x, pooled @ W["text_projection.weight"].T


def vision_model(W, cfg, pixels):
    v = cfg["vision_config"]
    B = pixels.shape[0]
    P = v["patch_size"]
    g = v["image_size"] // P
    kernel = W["vision_model.embeddings.patch_embedding.weight"]  # Conv2d [D, C, P, P], stride P, no bias
    patches = np.zeros((B, g * g, kernel.shape[0]))
    for gy in range(g):
        for gx in range(g):
            window = pixels[:, :, gy * P : (gy + 1) * P, gx * P : (gx + 1) * P]
            patches[:, gy * g + gx] = np.einsum("bchw,dchw->bd", window, kernel)
    cls = np.broadcast_to(W["vision_model.embeddings.class_embedding"], (B, 1, kernel.shape[0]))
    x = np.concatenate([cls, patches], 1) + W["vision_model.embeddings.position_embedding.weight"][None]
    x = layer_norm(x, W, "vision_model.pre_layrnorm", v["layer_norm_eps"])
    x = encoder(x, W, v, "vision_model", None)
    pooled = layer_norm(x[:, 0], W, "vision_model.post_layernorm", v["layer_norm_eps"])
    return x, pooled @ W["visual_projection.weight"].T


def clip_forward(W, cfg, req):
    ids = np.array(req["input_ids"], dtype=np.int64)
    attn = np.array(req["attention_mask"], dtype=np.int64)
    th, te = text_model(W, cfg, ids, attn)
    ih, ie = vision_model(W, cfg, np.array(req["pixel_values"], dtype=np.float64))
    tn = te / np.linalg.norm(te, axis=-1, keepdims=True)
    im = ie / np.linalg.norm(ie, axis=-1, keepdims=True)
    logits = math.exp(float(W["logit_scale"])) * tn @ im.T

    def ce(l):  # cross_entropy(l, arange(len(l)))
        m = l.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(l - m).sum(-1, keepdims=True)))[:, 0]
        return float((lse - np.diag(l)).mean())

    # the contrastive loss pairs text i with image i; towers checked on batches of different sizes have none
    loss = (ce(logits) + ce(logits.T)) / 2.0 if logits.shape[0] == logits.shape[1] else None
    return th, te, ih, ie, logits, loss


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tokenize(model_dir, texts, max_length):
    """openai/CLIP SimpleTokenizer.encode (without ftfy/html fixes) + CLIPTokenizer truncation and specials."""
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        encoder_ = json.load(f)
    with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
        merges = [tuple(l.split()) for l in f.read().split("\n")[1:] if l]
    ranks = dict(zip(merges, range(len(merges))))
    b2u = bytes_to_unicode()
    pat = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)

    def bpe(token):
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
            if best not in ranks:
                break
            first, second = best
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = tuple(out)
        return word

    out = []
    for text in texts:
        text = regex.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().lower()
        ids = []
        for tok in regex.findall(pat, text):
            tok = "".join(b2u[b] for b in tok.encode("utf-8"))
            ids.extend(encoder_[t] for t in bpe(tok))
        out.append([encoder_["<|startoftext|>"]] + ids[: max_length - 2] + [encoder_["<|endoftext|>"]])
    return out


def answer(req):
    if req.get("mode") == "tokenize":
        return {"ids": tokenize(req["model_dir"], req["texts"], req["max_length"])}
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(req["model_dir"], "model.safetensors"))
    if req.get("mode", "forward") == "forward":
        th, te, ih, ie, logits, loss = clip_forward(W, cfg, req)
        return {"text_embeds": te.tolist(), "image_embeds": ie.tolist(), "text_last_hidden_state": th.tolist(),
                "image_last_hidden_state": ih.tolist(), "logits_per_text": logits.tolist(), "loss": loss}
    grads = fd_grads(W, req["coords"], lambda: clip_forward(W, cfg, req)[-1], req.get("eps", 1e-6))
    return {"loss": clip_forward(W, cfg, req)[-1], "grads": grads}


if __name__ == "__main__":
    serve(answer)
