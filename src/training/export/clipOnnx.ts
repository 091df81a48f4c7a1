import type { ClipConfig } from '../models/clip/clipConfig.ts';
import type { TensorMap } from '../weights/safetensors.ts';
import { DYN, ftlabOnnxModel, MASK_MIN } from './bertOnnx.ts';
import { attr } from './onnx/graphBuilder.ts';
import { clipEncoderLayers, clipTowerGraph } from './clipOnnxTower.ts';

/**
 * The two CLIP towers as the ONNX files transformers.js' CLIPTextModelWithProjection and
 * CLIPVisionModelWithProjection load (onnx/text_model.onnx, onnx/vision_model.onnx), with the output names
 * of Hugging Face's *WithProjection models. Embeddings are NOT normalized (as in HF); callers normalize for
 * cosine similarity. Opset 17 / IR 8 for the single-node LayerNormalization, as the BERT export.
 */

/**
 * CLIPTextModelWithProjection: int64 input_ids, attention_mask [batch_size, sequence_length] ->
 * text_embeds [batch_size, projection_dim], last_hidden_state (after final_layer_norm, all tokens).
 * The pooled token is the first eos_token_id of each row, or for legacy configs with eos_token_id 2
 * (where HF falls back to it) the first position of the largest id.
 */
export function buildClipTextOnnx(c: ClipConfig, weights: TensorMap): Uint8Array {
  const tc = c.text;
  const D = tc.hidden_size;
  const P = tc.max_position_embeddings;
  const t = clipTowerGraph('ftlab_clip_text', weights);
  const { g, f, i64, param, linear, layerNorm } = t;
  const ids = g.input('input_ids', 'int64', DYN);
  const mask = g.input('attention_mask', 'int64', DYN);

  g.scope = 'text_model/embeddings';
  const seqLen = g.op('Slice', [g.op('Shape', [ids]), i64([1]), i64([2]), i64([0])]);
  const positions = g.op('Slice', [param('text_model.embeddings.position_embedding.weight', [P, D]), i64([0]), seqLen, i64([0])]);
  const tokens = g.op('Gather', [param('text_model.embeddings.token_embedding.weight', [tc.vocab_size, D]), ids], { axis: attr.int(0) });
  const h = g.op('Add', [tokens, positions]);

  // HF adds a causal mask (float32 min above the diagonal) and the padding mask (float32 min on padded keys).
  // The causal part is a [P, P] constant cut to [S, S], which broadcasts against the [B, 1, 1, S] padding part.
  g.scope = 'text_model/mask';
  const causalTable = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) causalTable[i * P + j] = MASK_MIN;
  const causalFull = g.floatInitializer('text_model.causal_mask', causalTable, [P, P]);
  const causal = g.op('Slice', [g.op('Slice', [causalFull, i64([0]), seqLen, i64([0])]), i64([0]), seqLen, i64([1])]);
  const padding = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [f(1), g.op('Cast', [mask], { to: attr.int(1) })]), f(MASK_MIN)]), i64([1, 2])]);
  const additive = g.op('Add', [causal, padding]);

  const encoded = clipEncoderLayers(t, h, additive, tc, 'text_model');
  g.scope = 'text_model';
  const hidden = layerNorm(encoded, 'text_model.final_layer_norm', D, tc.layer_norm_eps, 'last_hidden_state');

  // EOS pooling as HF: argmax returns the first maximum, so "first eos" = argmax of (ids == eos).
  g.scope = 'text_model/pooler';
  const INT32 = 6;
  const key = tc.eos_token_id === 2 ? ids : g.op('Equal', [ids, g.constant('int64', [tc.eos_token_id], [])]);
  const eosIndex = g.op('ArgMax', [g.op('Cast', [key], { to: attr.int(INT32) })], { axis: attr.int(1), keepdims: attr.int(0) });
  const gatherIndex = g.op('Expand', [g.op('Unsqueeze', [eosIndex, i64([1, 2])]), i64([1, 1, D])]);
  const pooled = g.op('Reshape', [g.op('GatherElements', [hidden, gatherIndex], { axis: attr.int(1) }), i64([0, D])]);
  g.scope = 'text_projection';
  g.op('Identity', [linear(pooled, 'text_projection', D, c.projection_dim, false)], {}, 'text_embeds');

  g.output('text_embeds', 'float32', [DYN[0], c.projection_dim]);
  g.output('last_hidden_state', 'float32', [...DYN, D]);
  return g.serialize(
    ftlabOnnxModel(`CLIPTextModelWithProjection (${tc.num_hidden_layers} layers, hidden ${D}, projection ${c.projection_dim})`, {
      eos_token_id: String(tc.eos_token_id),
      max_position_embeddings: String(P),
    }),
  );
}

/**
 * CLIPVisionModelWithProjection: float32 pixel_values [batch_size, channels, image_size, image_size]
 * (preprocessed as preprocessor_config.json says) -> image_embeds [batch_size, projection_dim],
 * last_hidden_state (encoder output before post_layernorm, class token first). The patch embedding is a
 * strided Conv: this graph only runs inference, so Conv's missing wasm gradient does not matter here.
 */
export function buildClipVisionOnnx(c: ClipConfig, weights: TensorMap): Uint8Array {
  const vc = c.vision;
  const D = vc.hidden_size;
  const p = vc.patch_size;
  const C = vc.num_channels;
  const grid = Math.floor(vc.image_size / p);
  const t = clipTowerGraph('ftlab_clip_vision', weights);
  const { g, i64, param, linear, layerNorm } = t;
  const pixels = g.input('pixel_values', 'float32', [DYN[0], C, vc.image_size, vc.image_size]);

  g.scope = 'vision_model/embeddings';
  const conv = g.op('Conv', [pixels, param('vision_model.embeddings.patch_embedding.weight', [D, C, p, p])], {
    kernel_shape: attr.ints([p, p]),
    strides: attr.ints([p, p]),
  });
  const patches = g.op('Transpose', [g.op('Reshape', [conv, i64([0, D, -1])])], { perm: attr.ints([0, 2, 1]) });
  const batch = g.op('Slice', [g.op('Shape', [pixels]), i64([0]), i64([1]), i64([0])]);
  const cls = g.op('Expand', [
    g.op('Reshape', [param('vision_model.embeddings.class_embedding', [D]), i64([1, 1, D])]),
    g.op('Concat', [batch, i64([1, D])], { axis: attr.int(0) }),
  ]);
  const tokens = g.op('Concat', [cls, patches], { axis: attr.int(1) });
  const embedded = g.op('Add', [tokens, param('vision_model.embeddings.position_embedding.weight', [grid * grid + 1, D])]);
  g.scope = 'vision_model';
  const h = layerNorm(embedded, 'vision_model.pre_layrnorm', D, vc.layer_norm_eps);

  const hidden = clipEncoderLayers(t, h, null, vc, 'vision_model', 'last_hidden_state');
  g.scope = 'vision_model/pooler';
  const first = g.op('Gather', [hidden, g.constant('int64', [0], [])], { axis: attr.int(1) });
  const pooled = layerNorm(first, 'vision_model.post_layernorm', D, vc.layer_norm_eps);
  g.scope = 'visual_projection';
  g.op('Identity', [linear(pooled, 'visual_projection', D, c.projection_dim, false)], {}, 'image_embeds');

  g.output('image_embeds', 'float32', [DYN[0], c.projection_dim]);
  g.output('last_hidden_state', 'float32', [DYN[0], grid * grid + 1, D]);
  return g.serialize(
    ftlabOnnxModel(`CLIPVisionModelWithProjection (${vc.num_hidden_layers} layers, hidden ${D}, patch ${p}, projection ${c.projection_dim})`, {
      image_size: String(vc.image_size),
      patch_size: String(p),
    }),
  );
}
