"""Generic float64 numpy pieces shared by the reference implementations in this folder.

Written from the PyTorch / transformers definitions (nn.LayerNorm, nn.Linear, ACT2FN, eager attention,
clip_grad_norm_, AdamW, get_*_schedule_with_warmup), sharing no code with the TypeScript implementation.
What makes a model that model (embeddings, layer order, masks, pooling) stays in its own reference file.
"""
import json
import math
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}
F32_MIN = float(np.finfo(np.float32).min)  # HF fills masked attention scores with the dtype's min


def read_safetensors(path):
    """Every tensor of a .safetensors file as a float64 array, under its stored name."""
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
        out[name] = arr.astype(np.float64).reshape(e["shape"])
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def act(x, name):
    """transformers' ACT2FN for the activations these models use."""
    if name == "gelu":
        erf = np.vectorize(math.erf)
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    if name == "quick_gelu":
        return x / (1.0 + np.exp(-1.702 * x))
    if name == "relu":
        return np.maximum(x, 0.0)
    raise ValueError("unsupported hidden_act " + name)


def dense(x, W, prefix):
    """nn.Linear with weight [out, in] and bias stored as `<prefix>.weight` / `<prefix>.bias`."""
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


def split_heads(t, num_heads):
    """[B, S, D] -> [B, heads, S, D / heads]"""
    B, S, D = t.shape
    return t.reshape(B, S, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def attention(q, k, v, scale, mask):
    """transformers' eager_attention_forward on split heads: softmax(q kᵀ · scale + mask) v, merged to [B, S, D]."""
    s = q @ k.transpose(0, 1, 3, 2) * scale
    if mask is not None:
        s = s + mask
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    probs = e / e.sum(-1, keepdims=True)
    B, nh, S, hd = v.shape
    return (probs @ v).transpose(0, 2, 1, 3).reshape(B, probs.shape[2], nh * hd)


def central_difference(x, idx, f, h):
    """(f() with x[idx] + h − f() with x[idx] − h) / 2h, x[idx] restored; `x` must be (a view of) what f reads."""
    orig = x[idx]
    x[idx] = orig + h
    up = f()
    x[idx] = orig - h
    down = f()
    x[idx] = orig
    return (up - down) / (2 * h)


def fd_grads(W, coords, f, h):
    """Central differences of f() at each (tensor name, flat index) of W."""
    return [central_difference(W[name].reshape(-1), idx, f, h) for name, idx in coords]  # reshape: a view, edits land in W


def fd_gradient_tensors(W, names, coords, f, h):
    """Central differences of f() at `coords`, as arrays shaped like W[name] for each of `names` (zero elsewhere)."""
    g = {name: np.zeros_like(W[name]) for name in names}
    for name, i in coords:
        g[name].reshape(-1)[i] = central_difference(W[name].reshape(-1), i, f, h)
    return g


def warmup_lr_lambda(k, warmup, total, scheduler):
    """get_{constant,linear,cosine}_schedule_with_warmup's multiplier for update k (0-based)."""
    if k < warmup:
        return k / max(1, warmup)
    if scheduler == "constant":
        return 1.0
    if scheduler == "cosine":
        progress = (k - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))
    return max(0.0, (total - k) / max(1, total - warmup))


def clip_grad_norm(g, max_norm):
    """torch.nn.utils.clip_grad_norm_: (the gradients scaled to at most max_norm, their total norm before)."""
    total = math.sqrt(sum(float((x * x).sum()) for x in g.values()))
    if max_norm > 0:
        coef = min(1.0, max_norm / (total + 1e-6))
        g = {name: x * coef for name, x in g.items()}
    return g, total


class AdamW:
    """torch.optim.AdamW (decoupled weight decay, bias-corrected moments), updating the arrays of W in place."""

    def __init__(self, W, names, decays, b1=0.9, b2=0.999, eps=1e-8):
        self.W, self.decays, self.b1, self.b2, self.eps = W, decays, b1, b2, eps
        self.m = {k: np.zeros_like(W[k]) for k in names}
        self.v = {k: np.zeros_like(W[k]) for k in names}
        self.t = 0

    def step(self, g, lr, weight_decay):
        self.t += 1
        b1, b2, t = self.b1, self.b2, self.t
        for name in self.m:
            p = self.W[name]
            if self.decays(name):
                p *= 1 - lr * weight_decay
            self.m[name] = b1 * self.m[name] + (1 - b1) * g[name]
            self.v[name] = b2 * self.v[name] + (1 - b2) * g[name] ** 2
            denom = np.sqrt(self.v[name]) / math.sqrt(1 - b2**t) + self.eps
            p -= lr / (1 - b1**t) * self.m[name] / denom


def serve(answer):
    """stdin: one JSON request, or a JSON array of them (one interpreter and numpy start for many) -> stdout."""
    req = json.load(sys.stdin)
    json.dump([answer(r) for r in req] if isinstance(req, list) else answer(req), sys.stdout)
