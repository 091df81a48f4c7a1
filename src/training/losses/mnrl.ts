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

/**
 * MultipleNegativesRankingLoss (sentence-transformers): for anchor i, the candidates are all positives
 * followed by all hard negatives; the loss is cross-entropy of scale * cos_sim towards candidate i,
 * averaged over the batch (in-batch negatives).
 */
export function mnrlFromEmbeddings(
  anchors: tf.Tensor2D,
  positives: tf.Tensor2D,
  negatives: tf.Tensor2D | null,
  scale = 20,
): tf.Scalar {
  return tf.tidy(() => {
    const b = anchors.shape[0];
    if (positives.shape[0] !== b || (negatives && negatives.shape[0] !== b)) {
      throw new Error(`mnrl: batch sizes differ (anchors ${b}, positives ${positives.shape[0]}${negatives ? `, negatives ${negatives.shape[0]}` : ''})`);
    }
    const candidates = negatives ? tf.concat([positives, negatives], 0) : positives;
    const scores = cosSim(anchors, candidates).mul(scale);
    const target = tf.oneHot(tf.range(0, b, 1, 'int32'), candidates.shape[0]);
    const picked = scores.mul(target).sum(1);
    return tf.logSumExp(scores, 1).sub(picked).mean() as tf.Scalar;
  });
}
