import * as tf from '@tensorflow/tfjs';
import { dropout, type DropoutState } from './layers.ts';
import { fusedKernelsActive } from './webgpu/gpuProgram.ts';
import { fusedAttention, type MaskKind } from './webgpu/attentionKernel.ts';
import { seedMix } from '../random/dropoutMask.ts';

export interface AttentionOptions {
  heads: number;
  /** BERT divides the scores by sqrt(head_dim); CLIP (transformers) scales q first: same value up to rounding */
  scaleQuery?: boolean;
  /** dropout on the attention probabilities (training only) */
  dropout?: { rate: number; state: DropoutState } | null;
}

/**
 * Multi-head scaled dot-product attention on q, k, v [B, S, H] with an additive mask [B, 1, 1, S] (key
 * padding), [B, 1, S, S] (full) or none; returns the context [B, S, H]. On webgpu one custom kernel
 * (nn/webgpu/attentionKernel.ts), elsewhere tfjs ops; both draw the same dropout mask.
 */
export function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, maskAdd: tf.Tensor | null, o: AttentionOptions): tf.Tensor3D {
  const [B, S, H] = q.shape;
  const hd = H / o.heads;
  const rate = o.dropout?.rate ?? 0;
  if (fusedKernelsActive()) {
    const kind: MaskKind = !maskAdd ? 0 : maskAdd.shape[2] === 1 ? 1 : 2;
    if (maskAdd && maskAdd.shape[0] !== B) throw new Error(`attention: mask batch ${maskAdd.shape[0]} is not the input batch ${B}`);
    const mask = !maskAdd ? tf.zeros([1]) : tf.reshape(maskAdd, kind === 1 ? [B, S] : [B, S, S]);
    const mix = rate > 0 ? seedMix(o.dropout!.state.next()) : 0;
    return fusedAttention(q, k, v, mask, { heads: o.heads, scale: 1 / Math.sqrt(hd), rate, mix, maskKind: kind });
  }
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, S, o.heads, hd]), [0, 2, 1, 3]);
  let scores = o.scaleQuery
    ? tf.matMul(split(tf.mul(q, hd ** -0.5)), split(k), false, true)
    : tf.div(tf.matMul(split(q), split(k), false, true), Math.sqrt(hd));
  if (maskAdd) scores = tf.add(scores, maskAdd);
  let probs = tf.softmax(scores, -1);
  if (rate > 0) probs = dropout(probs, rate, o.dropout!.state);
  return tf.reshape(tf.transpose(tf.matMul(probs, split(v)), [0, 2, 1, 3]), [B, S, H]);
}
