#!/usr/bin/env python3
"""Independent float64 numpy reference for Hugging Face CLIPTextModelWithProjection / CLIPVisionModelWithProjection.

Written from transformers' modeling_clip.py (eager attention), sharing no code with the TypeScript exporter: it
reads an exported folder (config.json + model.safetensors, HF CLIPModel names) and answers what the two ONNX
files must output.

stdin: JSON {"model_dir": str, "input_ids": [[int]], "attention_mask": [[int]], "pixel_values": [[[[float]]]]}
stdout: JSON {"text_embeds": [[...]], "text_last_hidden_state": [[[...]]],
              "image_embeds": [[...]], "vision_last_hidden_state": [[[...]]]}
"""
import json
import os
import sys

import numpy as np

F32_MIN = float(np.finfo(np.float32).min)
DEFAULT_TEXT = {"hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "eos_token_id": 49407}
DEFAULT_VISION = {"hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "num_channels": 3}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", (name, e["dtype"])
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a : 8 + n + b], "<f4").reshape(e["shape"]).astype(np.float64)
    return out


def act(x, kind):
    if kind == "quick_gelu":
        return x * (1.0 / (1.0 + np.exp(-1.702 * x)))
    if kind == "gelu":
        from math import erf

        return 0.5 * x * (1.0 + np.vectorize(erf)(x / np.sqrt(2.0)))
    # gelu_new / gelu_pytorch_tanh
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


class Clip:
    def __init__(self, model_dir):
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.text = {**DEFAULT_TEXT, **cfg["text_config"]}
        self.vision = {**DEFAULT_VISION, **cfg["vision_config"]}
        self.w = read_safetensors(os.path.join(model_dir, "model.safetensors"))

    def layer_norm(self, x, name, eps):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def linear(self, x, name, bias=True):
        y = x @ self.w[name + ".weight"].T
        return y + self.w[name + ".bias"] if bias else y

    def encoder(self, h, masks, prefix, c):
        B, S, D = h.shape
        heads = c["num_attention_heads"]
        hd = D // heads
        split = lambda y: y.reshape(B, S, heads, hd).transpose(0, 2, 1, 3)
        for i in range(c["num_hidden_layers"]):
            p = f"{prefix}.encoder.layers.{i}"
            x = self.layer_norm(h, p + ".layer_norm1", c["layer_norm_eps"])
            q = split(self.linear(x, p + ".self_attn.q_proj") * hd**-0.5)
            k = split(self.linear(x, p + ".self_attn.k_proj"))
            v = split(self.linear(x, p + ".self_attn.v_proj"))
            scores = q @ k.transpose(0, 1, 3, 2)
            for m in masks:  # CLIPAttention adds the causal mask, then the padding mask
                scores = scores + m
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs = probs / probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, D)
            h = h + self.linear(ctx, p + ".self_attn.out_proj")
            y = self.layer_norm(h, p + ".layer_norm2", c["layer_norm_eps"])
            h = h + self.linear(act(self.linear(y, p + ".mlp.fc1"), c["hidden_act"]), p + ".mlp.fc2")
        return h

    def text_forward(self, ids, mask):
        c = self.text
        B, S = ids.shape
        h = self.w["text_model.embeddings.token_embedding.weight"][ids] + self.w["text_model.embeddings.position_embedding.weight"][:S]
        causal = np.triu(np.full((S, S), F32_MIN), 1)[None, None]
        padding = ((1.0 - mask[:, None, None, :]) * F32_MIN)
        h = self.encoder(h, [causal, padding], "text_model", c)
        h = self.layer_norm(h, "text_model.final_layer_norm", c["layer_norm_eps"])
        if c["eos_token_id"] == 2:
            eos = ids.argmax(-1)
        else:
            eos = (ids == c["eos_token_id"]).astype(np.int64).argmax(-1)
        pooled = h[np.arange(B), eos]
        return self.linear(pooled, "text_projection", bias=False), h

    def vision_forward(self, pixels):
        c = self.vision
        B, C, H, W = pixels.shape
        p = c["patch_size"]
        gh, gw = H // p, W // p
        # Conv2d(kernel=stride=p, no bias) as patches x weight: patch vectors in (channel, row, col) order
        patches = pixels.reshape(B, C, gh, p, gw, p).transpose(0, 2, 4, 1, 3, 5).reshape(B, gh * gw, C * p * p)
        weight = self.w["vision_model.embeddings.patch_embedding.weight"]
        embeds = patches @ weight.reshape(weight.shape[0], -1).T
        cls = np.broadcast_to(self.w["vision_model.embeddings.class_embedding"], (B, 1, embeds.shape[-1]))
        h = np.concatenate([cls, embeds], 1) + self.w["vision_model.embeddings.position_embedding.weight"]
        h = self.layer_norm(h, "vision_model.pre_layrnorm", c["layer_norm_eps"])
        h = self.encoder(h, [], "vision_model", c)
        pooled = self.layer_norm(h[:, 0], "vision_model.post_layernorm", c["layer_norm_eps"])
        return self.linear(pooled, "visual_projection", bias=False), h


def main():
    req = json.load(sys.stdin)
    model = Clip(req["model_dir"])
    text, text_h = model.text_forward(np.array(req["input_ids"], np.int64), np.array(req["attention_mask"], np.float64))
    image, vision_h = model.vision_forward(np.array(req["pixel_values"], np.float64))
    json.dump({"text_embeds": text.tolist(), "text_last_hidden_state": text_h.tolist(),
               "image_embeds": image.tolist(), "vision_last_hidden_state": vision_h.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
