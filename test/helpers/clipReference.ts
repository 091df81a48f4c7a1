import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch } from '../../src/training/models/tokenizer.ts';
import { runPythonReference } from './pythonReference.ts';

export interface ClipReferenceRequest {
  model_dir: string;
  mode?: 'forward' | 'fd' | 'tokenize';
  input_ids?: number[][];
  attention_mask?: number[][];
  pixel_values?: number[][][][];
  coords?: [string, number][];
  eps?: number;
  texts?: string[];
  max_length?: number;
}

export interface ClipReferenceForward {
  text_embeds: number[][];
  image_embeds: number[][];
  text_last_hidden_state: number[][][];
  image_last_hidden_state: number[][][];
  logits_per_text: number[][];
  loss: number;
}

/** Runs test/reference/clip_reference.py (float64 numpy) once for several requests: python + numpy start slowly. */
export function runClipReferences<T = unknown>(reqs: ClipReferenceRequest[]): T[] {
  return runPythonReference('clip_reference.py', reqs);
}

/** Tokenized rows as nested arrays (the reference's input_ids / attention_mask). */
export function batchRows(b: EncodedBatch): { input_ids: number[][]; attention_mask: number[][] } {
  const rows = (a: Int32Array) => Array.from({ length: b.batchSize }, (_, i) => Array.from(a.subarray(i * b.seqLen, (i + 1) * b.seqLen)));
  return { input_ids: rows(b.inputIds), attention_mask: rows(b.attentionMask) };
}

/** The CLIP contrastive loss (HF clip_loss): mean of the text->image and image->text cross-entropies. */
export function clipLoss(text: tf.Tensor2D, image: tf.Tensor2D, logitScale: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 'euclidean', -1, true));
    const logits = tf.mul(tf.exp(logitScale), tf.matMul(norm(text), norm(image), false, true)) as tf.Tensor2D;
    const labels = tf.oneHot(tf.range(0, text.shape[0], 1, 'int32'), text.shape[0]);
    const ce = (l: tf.Tensor2D) => tf.mean(tf.sub(tf.logSumExp(l, -1), tf.sum(tf.mul(l, labels), -1)));
    return tf.div(tf.add(ce(logits), ce(tf.transpose(logits))), 2) as tf.Scalar;
  });
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
