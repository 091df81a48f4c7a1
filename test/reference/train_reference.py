"""Independent float64 references (numpy only) for ftlab's training maths.

Reads one JSON request (or {"batch": [requests]}) on stdin, writes the answer(s) on stdout. Tasks:
  mnrl        sentence-transformers MultipleNegativesRankingLoss on given embeddings: loss + analytic
              gradients w.r.t. anchors/positives/negatives, plus a central finite-difference check of them
  margin-mse  MarginMSELoss (pairwise dot) likewise
  matryoshka  MatryoshkaLoss over mnrl or margin-mse: the wrapped loss on the re-normalized prefixes of each
              column, weighted and summed; analytic gradients through the prefix normalization + fd check
  optim       N steps of torch semantics: clip_grad_norm_ -> torch.optim.AdamW at the lr of
              get_linear_schedule_with_warmup / constant (HF Trainer: update k uses lambda(k)); the clipping
              and AdamW are nn_reference.py's, independent of the TypeScript code as well
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import AdamW, central_difference, clip_grad_norm  # noqa: E402

EPS_NORM = 1e-12  # torch.nn.functional.normalize


def normalize(x):
    r = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), EPS_NORM)
    return x / r, r


def normalize_backward(x, r, g):
    n = x / r
    clamped = (np.linalg.norm(x, axis=1, keepdims=True) <= EPS_NORM)
    gx = (g - n * np.sum(n * g, axis=1, keepdims=True)) / r
    return np.where(clamped, g / r, gx)


def mnrl(a, p, n, scale):
    c = p if n is None else np.concatenate([p, n], 0)
    an, ra = normalize(a)
    cn, rc = normalize(c)
    s = scale * an @ cn.T
    b = a.shape[0]
    smax = s.max(axis=1, keepdims=True)
    lse = smax[:, 0] + np.log(np.exp(s - smax).sum(axis=1))
    loss = float(np.mean(lse - s[np.arange(b), np.arange(b)]))
    prob = np.exp(s - lse[:, None])
    ds = prob.copy()
    ds[np.arange(b), np.arange(b)] -= 1
    ds /= b
    g_an = scale * ds @ cn
    g_cn = scale * ds.T @ an
    ga = normalize_backward(a, ra, g_an)
    gc = normalize_backward(c, rc, g_cn)
    grads = {"anchors": ga, "positives": gc[:b]}
    if n is not None:
        grads["negatives"] = gc[b:]
    return loss, grads


def margin_mse(q, p, n, y):
    m = np.sum(q * p, 1) - np.sum(q * n, 1)
    d = m - y
    b = q.shape[0]
    loss = float(np.mean(d ** 2))
    dm = 2 * d / b
    return loss, {"q": dm[:, None] * (p - n), "pos": dm[:, None] * q, "neg": -dm[:, None] * q}


def matryoshka(cols, dims, weights, inner):
    """sum_i w_i * inner(normalize(x[:, :d_i]) for each column); gradients scattered back into the prefixes"""
    total = 0.0
    grads = {k: np.zeros_like(x) for k, x in cols.items() if x is not None}
    for d, w in zip(dims, weights):
        trunc, norms = {}, {}
        for k, x in cols.items():
            trunc[k], norms[k] = (None, None) if x is None else normalize(x[:, :d])
        loss, g = inner(trunc)
        total += w * loss
        for k in grads:
            grads[k][:, :d] += w * normalize_backward(cols[k][:, :d], norms[k], g[k])
    return total, grads


def fd_check(f, inputs, grads, h=1e-6):
    """max |analytic - central difference| over every coordinate of every input"""
    worst = 0.0
    for k, x in inputs.items():
        if x is None:
            continue
        for idx in np.ndindex(x.shape):
            worst = max(worst, abs(central_difference(x, idx, f, h) - grads[k][idx]))
    return worst


def lr_lambda(name, k, warmup, total):
    if name == "constant":
        return 1.0
    if k < warmup:
        return k / max(1, warmup)
    if name == "constant-with-warmup":
        return 1.0
    if name == "linear":
        return max(0.0, (total - k) / max(1, total - warmup))
    raise ValueError(name)


def optim(req):
    lr0, wd, max_norm = req["lr"], req["weightDecay"], req["maxGradNorm"]
    params = {k: np.array(v["data"], dtype=np.float64).reshape(v["shape"]) for k, v in req["params"].items()}
    opt = AdamW(params, list(params), decays=lambda k: not ("bias" in k or "LayerNorm" in k))
    out = {"lrs": [], "norms": [], "params": []}
    for t, step_grads in enumerate(req["grads"], start=1):
        g = {k: np.array(x, dtype=np.float64).reshape(params[k].shape) for k, x in step_grads.items()}
        g, total = clip_grad_norm(g, max_norm)
        lr = lr0 * lr_lambda(req["scheduler"], t - 1, req["warmup"], req["total"])
        opt.step(g, lr, wd)
        out["lrs"].append(lr)
        out["norms"].append(total)
        out["params"].append({k: p.ravel().tolist() for k, p in params.items()})
    return out


def answer(req):
    arr = lambda x: None if x is None else np.array(x, dtype=np.float64)
    task = req["task"]
    if task == "mnrl":
        x = {"anchors": arr(req["anchors"]), "positives": arr(req["positives"]), "negatives": arr(req.get("negatives"))}
        f = lambda: mnrl(x["anchors"], x["positives"], x["negatives"], req["scale"])[0]
        loss, grads = mnrl(x["anchors"], x["positives"], x["negatives"], req["scale"])
        out = {"loss": loss, "grads": {k: v.tolist() for k, v in grads.items()}, "fdError": fd_check(f, x, grads)}
    elif task == "margin-mse":
        x = {"q": arr(req["q"]), "pos": arr(req["pos"]), "neg": arr(req["neg"])}
        y = arr(req["labels"])
        f = lambda: margin_mse(x["q"], x["pos"], x["neg"], y)[0]
        loss, grads = margin_mse(x["q"], x["pos"], x["neg"], y)
        out = {"loss": loss, "grads": {k: v.tolist() for k, v in grads.items()}, "fdError": fd_check(f, x, grads)}
    elif task == "matryoshka":
        if req["inner"] == "mnrl":
            x = {"anchors": arr(req["anchors"]), "positives": arr(req["positives"]), "negatives": arr(req.get("negatives"))}
            inner = lambda c: mnrl(c["anchors"], c["positives"], c["negatives"], req["scale"])
        else:
            x = {"q": arr(req["q"]), "pos": arr(req["pos"]), "neg": arr(req["neg"])}
            y = arr(req["labels"])
            inner = lambda c: margin_mse(c["q"], c["pos"], c["neg"], y)
        f = lambda: matryoshka(x, req["dims"], req["weights"], inner)[0]
        loss, grads = matryoshka(x, req["dims"], req["weights"], inner)
        out = {"loss": loss, "grads": {k: v.tolist() for k, v in grads.items()}, "fdError": fd_check(f, x, grads)}
    elif task == "optim":
        out = optim(req)
    else:
        raise SystemExit(f"unknown task {task}")
    return out


def main():
    req = json.load(sys.stdin)
    # {"batch": [...]} answers several requests in one process (numpy's import dominates the run time)
    json.dump([answer(r) for r in req["batch"]] if "batch" in req else answer(req), sys.stdout)


if __name__ == "__main__":
    main()
