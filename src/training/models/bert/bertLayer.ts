import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './bertConfig.ts';
import { activation, dropout, layerNorm, linear, type DropoutState, type ParamGetter } from '../../nn/layers.ts';

/**
 * One post-LayerNorm BertLayer (self-attention + feed-forward), as transformers' BertLayer.
 * `maskAdd` is [B, 1, 1, S]: 0 for real tokens, FLOAT32_MIN for padding.
 */
export function bertLayer(h: tf.Tensor3D, maskAdd: tf.Tensor, c: BertConfig, p: ParamGetter, prefix: string, d: DropoutState | null): tf.Tensor3D {
  const [B, S, H] = h.shape;
  const heads = c.num_attention_heads;
  const hd = H / heads;
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, S, heads, hd]), [0, 2, 1, 3]);
  const q = split(linear(h, p, `${prefix}.attention.self.query`));
  const k = split(linear(h, p, `${prefix}.attention.self.key`));
  const v = split(linear(h, p, `${prefix}.attention.self.value`));
  const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)), maskAdd);
  let probs = tf.softmax(scores, -1);
  if (d) probs = dropout(probs, d.attention, d);
  const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B, S, H]);
  let attnOut = linear(ctx, p, `${prefix}.attention.output.dense`);
  if (d) attnOut = dropout(attnOut, d.hidden, d);
  const a = layerNorm(tf.add(attnOut, h), p, `${prefix}.attention.output.LayerNorm`, c.layer_norm_eps);
  const inter = activation(linear(a, p, `${prefix}.intermediate.dense`), c.hidden_act);
  let out = linear(inter, p, `${prefix}.output.dense`);
  if (d) out = dropout(out, d.hidden, d);
  return layerNorm(tf.add(out, a), p, `${prefix}.output.LayerNorm`, c.layer_norm_eps) as tf.Tensor3D;
}
