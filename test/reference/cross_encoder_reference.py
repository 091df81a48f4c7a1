#!/usr/bin/env python3
"""Independent float64 numpy reference for Hugging Face BertForSequenceClassification (a cross-encoder).

logits = classifier(tanh(pooler.dense(BertModel(...)[:, 0]))), as modeling_bert.py defines it (dropout off).
Reuses bert_reference.py's BertModel forward and nn_reference.py's dense (independent of the TypeScript code).

stdin: JSON array of {"model_dir": str, "batches": [{"input_ids": [[int]], "attention_mask": [[int]], "token_type_ids": [[int]]}]}
stdout: JSON array of {"logits": [[[float]]]} (one [B, num_labels] matrix per batch)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import bert_batch, read_safetensors  # noqa: E402
from nn_reference import dense, serve  # noqa: E402


def answer(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(req["model_dir"], "model.safetensors"))
    out = []
    for b in req["batches"]:
        h, _ = bert_batch(W, cfg, b)
        pooled = np.tanh(dense(h[:, 0], W, "pooler.dense"))
        out.append(dense(pooled, W, "classifier").tolist())
    return {"logits": out}


if __name__ == "__main__":
    serve(answer)
