import * as tf from '@tensorflow/tfjs';

/**
 * MarginMSELoss (sentence-transformers, default similarity pairwise_dot_score):
 * mean(((q·pos - q·neg) - label)^2), the label being a teacher's score margin.
 */
export function marginMseFromEmbeddings(
  q: tf.Tensor2D,
  pos: tf.Tensor2D,
  neg: tf.Tensor2D,
  labels: tf.Tensor1D | readonly number[] | Float32Array,
): tf.Scalar {
  return tf.tidy(() => {
    const b = q.shape[0];
    const y = labels instanceof tf.Tensor ? labels : tf.tensor1d(Array.from(labels), 'float32');
    if (pos.shape[0] !== b || neg.shape[0] !== b || y.shape[0] !== b) {
      throw new Error(`margin-mse: batch sizes differ (query ${b}, positive ${pos.shape[0]}, negative ${neg.shape[0]}, labels ${y.shape[0]})`);
    }
    const marginPred = q.mul(pos).sum(1).sub(q.mul(neg).sum(1));
    return marginPred.sub(y).square().mean() as tf.Scalar;
  });
}
