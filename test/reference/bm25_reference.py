#!/usr/bin/env python3
"""Independent reference for ftlab's BM25 and hybrid fusion (pure Python float64, no ftlab code).

Reads a JSON list of requests on stdin, writes the list of answers on stdout.
  {"mode": "bm25", "docs": [text, ...], "queries": [text, ...], "k1": 1.2, "b": 0.75}
      -> {"scores": [[score per doc] per query]}
      Lucene >= 8 BM25Similarity without norm quantization:
        idf = ln(1 + (N - df + 0.5) / (df + 0.5)),  tf-part = tf / (tf + k1 * (1 - b + b * dl / avgdl)),
      dl = number of tokens of the doc, avgdl = mean dl, one clause per query token (repeats add up).
      Tokens: maximal runs of [a-z0-9] after lower-casing (the tests use texts where this equals UAX #29 words).
  {"mode": "rrf", "lists": [[row, ...], ...], "rows": n, "k": 60, "depth": 1000} -> {"scores": [...]}
      score(d) = sum over lists of 1 / (k + rank), rank 1-based, ranks beyond depth ignored.
  {"mode": "mix", "bm25": [...], "cos": [...], "weight": w} -> {"scores": [...]}
      bm25 / max(bm25) + w * cos (the BM25 part is 0 when max is 0).
"""
import json
import math
import re
import sys
from collections import Counter


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def bm25(req):
    k1, b = req.get("k1", 1.2), req.get("b", 0.75)
    docs = [Counter(tokens(t)) for t in req["docs"]]
    lengths = [sum(c.values()) for c in docs]
    n = len(docs)
    avgdl = sum(lengths) / n
    df = Counter(term for c in docs for term in c)
    out = []
    for q in req["queries"]:
        row = []
        for c, dl in zip(docs, lengths):
            s = 0.0
            for term in tokens(q):
                tf = c.get(term, 0)
                if tf == 0:
                    continue
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                s += idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))
            row.append(s)
        out.append(row)
    return {"scores": out}


def rrf(req):
    scores = [0.0] * req["rows"]
    for lst in req["lists"]:
        for rank, row in enumerate(lst[: req["depth"]], start=1):
            scores[row] += 1.0 / (req["k"] + rank)
    return {"scores": scores}


def mix(req):
    top = max(req["bm25"])
    return {"scores": [(s / top if top > 0 else 0.0) + req["weight"] * c for s, c in zip(req["bm25"], req["cos"])]}


MODES = {"bm25": bm25, "rrf": rrf, "mix": mix}
json.dump([MODES[r["mode"]](r) for r in json.load(sys.stdin)], sys.stdout)
