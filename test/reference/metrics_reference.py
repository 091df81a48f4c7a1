#!/usr/bin/env python3
"""Independent reference for ftlab's retrieval metrics (pure Python + numpy float64).

Reads JSON on stdin, writes JSON on stdout: one request object, or a list of them (one interpreter start for
many checks) answered by a list.
  {"mode": "metrics", "runs": {query: [docid, ...]}, "judgments": {query: {docid: rating}}, "k": 10, "threshold": 2}
      -> {"means": {...}, "queries": {query: {...}}, "skipped": [query, ...]}
  {"mode": "end2end", "corpus": {"ids": [...], "texts": [...]}, "judgments": {...}, "k": 10, "threshold": 2,
   "letterTable": [[...], ... 26 rows]}
      embeds texts with the bag-of-letters fake encoder (sum of letterTable rows for the letters a..z of the
      lower-cased text; random rows make mathematically equal scores between different texts unlikely),
      ranks the whole corpus by cosine similarity (ties: lower corpus index first), then scores as in
      "metrics". Also returns "ambiguous": near-equal scores (|diff| < 5e-7) between docs with different
      letter bags inside the ranking depth, where float32 vs float64 rounding (about 3e-7 for
      float32 embeddings and unit vectors) could reorder docs.

Definitions (BEIR / pytrec_eval style): relevant = rating >= threshold; unjudged = 0.
  nDCG@k: sum_{i<=k} (2^rel_i - 1)/log2(i+1) over the ranking, divided by the same over the judged ratings
          sorted descending (top k).
  MRR@k: 1/rank of first relevant in the top k. Recall@n (n in {k, 100}): |rel & top n| / |rel|.
  MAP@100: sum of precision@i at relevant ranks i <= 100, over min(|rel|, 100).
Means over queries with at least one relevant doc.
"""
import json
import math
import sys

import numpy as np


def dcg(gains):
    g = np.asarray(gains, dtype=np.float64)
    if g.size == 0:
        return 0.0
    discounts = np.log2(np.arange(2, g.size + 2, dtype=np.float64))
    return float(np.sum((np.power(2.0, g) - 1.0) / discounts))


def query_metrics(ranked, judged, k, threshold):
    relevant = {d for d, r in judged.items() if r >= threshold}
    top_k = ranked[:k]
    ndcg_num = dcg([judged.get(d, 0) for d in top_k])
    ndcg_den = dcg(sorted(judged.values(), reverse=True)[:k])
    ndcg = ndcg_num / ndcg_den if ndcg_den > 0 else 0.0
    mrr = 0.0
    for rank, d in enumerate(top_k, start=1):
        if d in relevant:
            mrr = 1.0 / rank
            break
    out = {f"ndcg@{k}": ndcg, f"mrr@{k}": mrr}
    for n in sorted({k, 100}):
        out[f"recall@{n}"] = len(relevant & set(ranked[:n])) / len(relevant) if relevant else 0.0
    precisions = []
    for rank, d in enumerate(ranked[:100], start=1):
        if d in relevant:
            precisions.append(len(relevant & set(ranked[:rank])) / rank)
    out["map@100"] = math.fsum(precisions) / min(len(relevant), 100) if relevant else 0.0
    return out, len(relevant)


def score_runs(runs, judgments, k, threshold):
    queries, skipped = {}, []
    for q, judged in judgments.items():
        m, n_rel = query_metrics(runs.get(q, []), judged, k, threshold)
        if n_rel == 0:
            skipped.append(q)
            continue
        m["numRelevant"] = n_rel
        queries[q] = m
    names = [n for n in next(iter(queries.values())) if n != "numRelevant"] if queries else []
    means = {n: math.fsum(queries[q][n] for q in queries) / len(queries) for n in names}
    return {"means": means, "queries": queries, "skipped": skipped}


def letter_counts(text):
    v = np.zeros(26, dtype=np.float64)
    for ch in text.lower():
        if "a" <= ch <= "z":
            v[ord(ch) - 97] += 1.0
    return v


def end2end(req):
    ids, texts = req["corpus"]["ids"], req["corpus"]["texts"]
    k, threshold = req["k"], req["threshold"]
    depth = max(k, 100)
    table = np.asarray(req["letterTable"], dtype=np.float64)
    counts = np.stack([letter_counts(t) for t in texts])
    docs = counts @ table
    norms = np.linalg.norm(docs, axis=1, keepdims=True)
    docs_n = np.divide(docs, norms, out=np.zeros_like(docs), where=norms > 0)
    runs, ambiguous = {}, []
    for q, judged in req["judgments"].items():
        if not any(r >= threshold for r in judged.values()):
            continue
        qv = letter_counts(q) @ table
        qn = np.linalg.norm(qv)
        qv = qv / qn if qn > 0 else qv
        scores = docs_n @ qv
        order = np.lexsort((np.arange(len(ids)), -scores))  # primary: score desc; secondary: index asc
        top = order[: depth + 1]
        for a, b in zip(top[:-1], top[1:]):
            if abs(scores[a] - scores[b]) < 5e-7 and not np.array_equal(counts[a], counts[b]):
                ambiguous.append([q, ids[a], ids[b], float(scores[a] - scores[b])])
        runs[q] = [ids[i] for i in order[:depth]]
    result = score_runs(runs, req["judgments"], k, threshold)
    result["runs"] = runs
    result["ambiguous"] = ambiguous
    return result


def answer(req):
    if req["mode"] == "metrics":
        return score_runs(req["runs"], req["judgments"], req["k"], req["threshold"])
    if req["mode"] == "end2end":
        return end2end(req)
    raise SystemExit(f"unknown mode {req['mode']}")


def main():
    req = json.load(sys.stdin)
    out = [answer(r) for r in req] if isinstance(req, list) else answer(req)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
