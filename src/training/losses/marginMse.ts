import * as tf from '@tensorflow/tfjs';
import { embedTextColumn, type Loss, type LossColumn } from './loss.ts';
import { pairwiseDot } from './similarity.ts';
import { validateLossRows } from './validateRows.ts';

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
    const marginPred = pairwiseDot(q, pos).sub(pairwiseDot(q, neg));
    return marginPred.sub(y).square().mean() as tf.Scalar;
  });
}

/** (query, positive, negative, label): the label is the teacher's margin, as GPL writes it */
export const marginMseColumns: readonly LossColumn[] = [
  { name: 'query', type: 'text' },
  { name: 'positive', type: 'text' },
  { name: 'negative', type: 'text' },
  { name: 'margin', type: 'number' },
];

/** The 'margin-mse' loss over TrainRows. */
export function marginMseLoss(): Loss {
  const loss: Loss = {
    name: 'margin-mse',
    columns: marginMseColumns,
    validateRows: (rows, source) => validateLossRows(loss, rows, source),
    compute(encoder, rows, opts) {
      return tf.tidy(() =>
        marginMseFromEmbeddings(
          embedTextColumn(encoder, rows, 'query', opts),
          embedTextColumn(encoder, rows, 'positive', opts),
          embedTextColumn(encoder, rows, 'negative', opts),
          rows.map((r) => r.margin!),
        ),
      );
    },
  };
  return loss;
}
