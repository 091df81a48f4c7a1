"""PyTorch anchor for `npm run bench` (bench/torchRunner.ts runs it on the CPU when `import torch` works) and for
the GPU check (bench/gpu/run.sh, job device "cuda").

The same step as bench/textBench.ts on the same BERT shape, written with plain torch.nn so it needs nothing but
torch (Debian: apt-get install python3-torch libopenblas0-pthread): two towers forward (dropout on), mean
pooling, MNRL (cosine x scale 20, in-batch negatives, cross-entropy), backward, clip_grad_norm_ 1.0, AdamW; and encode (forward,
mean pooling, L2 normalisation, no grad). Synthetic ids with random lengths seq/2..seq, as the tfjs bench.

  python3 bench/torch/torchBench.py '<json job>'   job = {config, batch, seq, trainSteps, encodeBatches, threads, seed, budgetMs, device?}
Prints one JSON object on stdout.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, h, heads, inter, p, eps):
        super().__init__()
        self.heads, self.p = heads, p
        self.qkv = nn.ModuleList(nn.Linear(h, h) for _ in range(3))
        self.out = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=eps)
        self.up = nn.Linear(h, inter)
        self.down = nn.Linear(inter, h)
        self.ln2 = nn.LayerNorm(h, eps=eps)

    def forward(self, x, bias):
        b, s, h = x.shape
        d = h // self.heads
        q, k, v = (m(x).view(b, s, self.heads, d).transpose(1, 2) for m in self.qkv)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        att = F.dropout(att, self.p, self.training)
        ctx = (att @ v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + F.dropout(self.out(ctx), self.p, self.training))
        y = self.down(F.gelu(self.up(x)))
        return self.ln2(x + F.dropout(y, self.p, self.training))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps = c["hidden_size"], c.get("layer_norm_eps", 1e-12)
        self.p = c.get("hidden_dropout_prob", 0.1)
        self.word = nn.Embedding(c["vocab_size"], h)
        self.pos = nn.Embedding(c.get("max_position_embeddings", 512), h)
        self.types = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.ln = nn.LayerNorm(h, eps=eps)
        self.layers = nn.ModuleList(
            Layer(h, c["num_attention_heads"], c["intermediate_size"], self.p, eps) for _ in range(c["num_hidden_layers"])
        )

    def forward(self, ids, mask):
        s = ids.shape[1]
        x = self.word(ids) + self.pos(torch.arange(s, device=ids.device)) + self.types(torch.zeros_like(ids))
        x = F.dropout(self.ln(x), self.p, self.training)
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        m = mask[..., None].float()
        return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)


def batch(gen, c, b, s):
    ids = torch.zeros(b, s, dtype=torch.long)
    mask = torch.zeros(b, s, dtype=torch.long)
    lo = min(1000, c["vocab_size"] - 1)
    for i in range(b):
        n = max(2, s - int(torch.randint(s // 2 + 1, (1,), generator=gen)))
        ids[i, :n] = torch.randint(lo, c["vocab_size"], (n,), generator=gen)
        ids[i, 0], ids[i, n - 1] = 101 % c["vocab_size"], 102 % c["vocab_size"]
        mask[i, :n] = 1
    return ids, mask


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job["threads"])
    torch.manual_seed(job["seed"])
    gen = torch.Generator().manual_seed(job["seed"])
    c, b, s = job["config"], job["batch"], job["seq"]
    deadline = time.perf_counter() + job.get("budgetMs", 120000) / 1000
    device = torch.device(job.get("device", "cpu"))
    model = Bert(c).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    x, y = (tuple(t.to(device) for t in batch(gen, c, b, s)) for _ in range(2))

    def encode(inp):
        model.eval()
        with torch.no_grad():
            e = F.normalize(model(*inp), dim=-1)
        return float(e[0, 0])

    def step(a, p):
        model.train()
        ea, ep = model(*a), model(*p)
        scores = F.normalize(ea, dim=-1) @ F.normalize(ep, dim=-1).T * 20
        loss = F.cross_entropy(scores, torch.arange(b, device=device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return float(loss)

    def timed(f, *args):
        t = time.perf_counter()
        out = f(*args)  # float() of a result waits for the device
        return (time.perf_counter() - t) * 1000, out

    res = {"backend": f"pytorch-{device.type}", "torch": torch.__version__, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        res["gpu"] = torch.cuda.get_device_name(device)
    res["params"] = sum(p.numel() for p in model.parameters())
    warm, _ = timed(encode, x)
    times = []
    for i in range(max(job["encodeBatches"], 3)):
        if times and time.perf_counter() > deadline - 60:
            break
        times.append(timed(encode, y if i % 2 else x)[0])
    res["encode"] = {"warmupMs": warm, "batchesMs": times, "textsPerSec": b * len(times) * 1000 / sum(times)}
    warm, loss = timed(step, x, y)
    times = []
    for i in range(job["trainSteps"]):
        if times and time.perf_counter() + warm / 1000 > deadline:
            break
        ms, loss = timed(step, y if i % 2 else x, x if i % 2 else y)
        times.append(ms)
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    res["train"] = {"warmupMs": warm, "stepsMs": times, "medianMs": median, "loss": loss}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
