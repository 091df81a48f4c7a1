#!/usr/bin/env python3
"""Independent float64 numpy reference for a Hugging Face XLMRobertaModel + sentence-transformers pooling.

Written from transformers' modeling_xlm_roberta.py, sharing no code with the TypeScript implementation:
XLMRobertaEmbeddings numbers positions with create_position_ids_from_input_ids (non-padding tokens count
up from padding_idx + 1, padding tokens get padding_idx; padding_idx = config.pad_token_id), adds
token_type_embeddings (type 0 when the caller passes none), then LayerNorm; XLMRobertaLayer is the
post-LayerNorm self-attention + feed-forward block with the additive float32-min mask of eager attention,
which transformers copies from BertLayer: the layers, the pooling and the request handling come from
bert_reference.py (independent of the TypeScript code as well), the generic pieces from nn_reference.py.

stdin: JSON request (or an array of them -> an array of answers)
  {"model_dir": str, "mode": "forward" | "fd",
   "batches": [{"input_ids": [[int]], "attention_mask": [[int]], "token_type_ids": [[int]] (optional)}],
   "pooling": "mean" | "cls" | "max", "normalize": bool,
   # mode "fd" only: loss = sum_b sum(w_b * sentence_embedding_b), central differences per coordinate
   "w": [[[float]]] (one [B, H] matrix per batch), "coords": [[param_name, flat_index]], "eps": float}
stdout: JSON
  forward: {"results": [{"last_hidden_state": [[[...]]], "sentence_embedding": [[...]], "position_ids": [[int]],
                         "all_poolings": {"mean" | "mean+normalize" | "cls" | ...: [[...]]}}]}
  fd:      {"loss": float, "grads": [float]}
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import encoder, sentence_answer  # noqa: E402
from nn_reference import F32_MIN, layer_norm, read_safetensors, serve  # noqa: E402


def read_weights(model_dir):
    """XLMRobertaModel names: task models (XLMRobertaForMaskedLM, ...) prefix the encoder with `roberta.`."""
    W = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    return {(k[len("roberta.") :] if k.startswith("roberta.") else k): v for k, v in W.items()}


def create_position_ids_from_input_ids(input_ids, padding_idx):
    mask = (input_ids != padding_idx).astype(np.int64)
    incremental_indices = np.cumsum(mask, axis=1) * mask
    return incremental_indices + padding_idx


def embeddings(W, cfg, input_ids, token_type_ids):
    padding_idx = cfg.get("pad_token_id", 1)
    position_ids = create_position_ids_from_input_ids(input_ids, padding_idx)
    if token_type_ids is None:
        token_type_ids = np.zeros_like(input_ids)
    e = W["embeddings.word_embeddings.weight"][input_ids] + W["embeddings.token_type_embeddings.weight"][token_type_ids]
    e = e + W["embeddings.position_embeddings.weight"][position_ids]
    eps = cfg.get("layer_norm_eps", 1e-12)
    return layer_norm(e, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps), position_ids


def xlm_roberta_forward(W, cfg, b):
    """last_hidden_state, attention mask and position_ids of one batch (token_type_ids optional)."""
    ids = np.array(b["input_ids"], dtype=np.int64)
    mask = np.array(b["attention_mask"], dtype=np.int64)
    types = np.array(b["token_type_ids"], dtype=np.int64) if b.get("token_type_ids") is not None else None
    x, position_ids = embeddings(W, cfg, ids, types)
    h = encoder(x, W, cfg, (1.0 - mask[:, None, None, :].astype(np.float64)) * F32_MIN)
    return h, mask, {"position_ids": position_ids.tolist()}


def answer(req):
    with open(os.path.join(req["model_dir"], "config.json")) as f:
        cfg = json.load(f)
    return sentence_answer(read_weights(req["model_dir"]), cfg, req, xlm_roberta_forward)


if __name__ == "__main__":
    serve(answer)
