import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './bertConfig.ts';
import { attention } from '../../nn/attention.ts';
import { activation, dropout, layerNorm, linear, type DropoutState, type ParamGetter } from '../../nn/layers.ts';

/**
 * One post-LayerNorm BertLayer (self-attention + feed-forward), as transformers' BertLayer.
 * `maskAdd` is [B, 1, 1, S]: 0 for real tokens, FLOAT32_MIN for padding.
 */
export function bertLayer(h: tf.Tensor3D, maskAdd: tf.Tensor, c: BertConfig, p: ParamGetter, prefix: string, d: DropoutState | null): tf.Tensor3D {
  const proj = (name: string) => linear(h, p, `${prefix}.attention.self.${name}`) as tf.Tensor3D;
  const dropAttention = d && d.attention > 0 ? { rate: d.attention, state: d } : null;
  const ctx = attention(proj('query'), proj('key'), proj('value'), maskAdd, { heads: c.num_attention_heads, dropout: dropAttention });
  let attnOut = linear(ctx, p, `${prefix}.attention.output.dense`);
  if (d) attnOut = dropout(attnOut, d.hidden, d);
  const a = layerNorm(tf.add(attnOut, h), p, `${prefix}.attention.output.LayerNorm`, c.layer_norm_eps);
  const inter = activation(linear(a, p, `${prefix}.intermediate.dense`), c.hidden_act);
  let out = linear(inter, p, `${prefix}.output.dense`);
  if (d) out = dropout(out, d.hidden, d);
  return layerNorm(tf.add(out, a), p, `${prefix}.output.LayerNorm`, c.layer_norm_eps) as tf.Tensor3D;
}
