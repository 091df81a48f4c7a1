import * as tf from '@tensorflow/tfjs';
import { embedTextColumn, type Loss, type LossColumn } from './loss.ts';
import { cosSim } from './similarity.ts';
import { validateLossRows } from './validateRows.ts';

/**
 * MultipleNegativesRankingLoss (sentence-transformers): for anchor i, the candidates are all positives
 * followed by all hard negatives; the loss is cross-entropy of scale * cos_sim towards candidate i,
 * averaged over the batch (in-batch negatives).
 */
export function mnrlFromEmbeddings(anchors: tf.Tensor2D, positives: tf.Tensor2D, negatives: tf.Tensor2D | null, scale = 20): tf.Scalar {
  return tf.tidy(() => {
    const b = anchors.shape[0];
    if (positives.shape[0] !== b || (negatives && negatives.shape[0] !== b)) {
      throw new Error(
        `mnrl: batch sizes differ (anchors ${b}, positives ${positives.shape[0]}${negatives ? `, negatives ${negatives.shape[0]}` : ''})`,
      );
    }
    const candidates = negatives ? tf.concat([positives, negatives], 0) : positives;
    const scores = cosSim(anchors, candidates).mul(scale);
    const target = tf.oneHot(tf.range(0, b, 1, 'int32'), candidates.shape[0]);
    const picked = scores.mul(target).sum(1);
    return tf.logSumExp(scores, 1).sub(picked).mean() as tf.Scalar;
  });
}

/** (anchor, positive[, hard negative]); the negative column is all-or-none */
export const mnrlColumns: readonly LossColumn[] = [
  { name: 'query', type: 'text' },
  { name: 'positive', type: 'text' },
  { name: 'negative', type: 'text', optional: true },
];

/** The 'mnrl' loss over TrainRows; `scale` is sentence-transformers' similarity scale. */
export function mnrlLoss(scale = 20): Loss {
  const loss: Loss = {
    name: 'mnrl',
    columns: mnrlColumns,
    validateRows: (rows, source) => validateLossRows(loss, rows, source),
    compute(encoder, rows, opts) {
      const hasNeg = rows[0]?.negative !== undefined;
      return tf.tidy(() =>
        mnrlFromEmbeddings(
          embedTextColumn(encoder, rows, 'query', opts),
          embedTextColumn(encoder, rows, 'positive', opts),
          hasNeg ? embedTextColumn(encoder, rows, 'negative', opts) : null,
          scale,
        ),
      );
    },
  };
  return loss;
}
