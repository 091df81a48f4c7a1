import * as tf from '@tensorflow/tfjs';

/**
 * Row-wise L2 normalisation with torch's F.normalize epsilon: x / max(||x||, 1e-12), so the gradient
 * matches sentence-transformers' util.cos_sim exactly (including the clamp branch).
 */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => x.div(tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D);
}

/** util.cos_sim: [A, D] x [B, D] -> [A, B] */
export function cosSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(normalizeRows(a), normalizeRows(b), false, true));
}

/** util.pairwise_dot_score: [B, D] x [B, D] -> [B], row i of a with row i of b */
export function pairwiseDot(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => a.mul(b).sum(1) as tf.Tensor1D);
}
