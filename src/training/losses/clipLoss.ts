import * as tf from '@tensorflow/tfjs';
import type { ClipRow } from '../data/clipRows.ts';
import type { Loss, LossColumn, LossComputeOptions } from './loss.ts';
import { normalizeRows } from './similarity.ts';
import { validateLossRows } from './validateRows.ts';
import { gradCache, miniBatches, type GradCacheSpec } from './gradCache.ts';

/**
 * CLIP's symmetric contrastive loss (HF `clip_loss`, open_clip `ClipLoss` on one device): both embeddings
 * are L2-normalized (F.normalize epsilon, as open_clip), logits = exp(logitScale) · text · imageᵀ, and the
 * loss is the mean of the text→image and image→text cross-entropies towards the diagonal. The scale is a
 * tensor (the model's logit_scale variable) so its gradient flows: CLIP learns its temperature.
 */
export function clipLossFromEmbeddings(text: tf.Tensor2D, image: tf.Tensor2D, logitScale: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const b = text.shape[0];
    if (image.shape[0] !== b) throw new Error(`clip loss: batch sizes differ (texts ${b}, images ${image.shape[0]})`);
    if (image.shape[1] !== text.shape[1]) throw new Error(`clip loss: embedding sizes differ (text ${text.shape[1]}, image ${image.shape[1]})`);
    const logits = tf.matMul(normalizeRows(text), normalizeRows(image), false, true).mul(tf.exp(logitScale.reshape([])));
    // tf.eye rather than oneHot: oneHot refuses depth 1, and a batch of one row is legal (an epoch's last batch)
    const target = tf.eye(b);
    // CE(logits, arange) row-wise, and CE(logitsᵀ, arange) as the same thing column-wise
    const picked = logits.mul(target).sum(1);
    const textToImage = tf.logSumExp(logits, 1).sub(picked).mean();
    const imageToText = tf.logSumExp(logits, 0).sub(picked).mean();
    return textToImage.add(imageToText).div(2) as tf.Scalar;
  });
}

/** What the 'clip' loss needs: both towers and the learned temperature (a CLIP training adapter provides it). */
export interface ClipEmbedder {
  embedTexts(texts: string[], opts: { training: boolean; seed?: number }): tf.Tensor2D;
  embedPixels(pixels: tf.Tensor4D, opts: { training: boolean }): tf.Tensor2D;
  /** log of the logit scale (HF `logit_scale`), a trainable scalar */
  readonly logitScale: tf.Tensor;
}

/**
 * The batch's image pixels come from `opts.batch.pixels`, fetched asynchronously before the gradient
 * (trainLoop's prepareBatch): image decoding cannot run inside the synchronous tf.variableGrads closure.
 */
export function computeClipLoss(encoder: ClipEmbedder, rows: readonly ClipRow[], opts: LossComputeOptions): tf.Scalar {
  const pixels = opts.batch?.pixels;
  if (!pixels) throw new Error('clip loss: the batch has no pixels (the encoder needs a prepareBatch that loads the images)');
  if (pixels.shape[0] !== rows.length) throw new Error(`clip loss: ${rows.length} rows but ${pixels.shape[0]} images`);
  return tf.tidy(() => {
    const text = encoder.embedTexts(
      rows.map((r) => r.text),
      { training: opts.training, seed: opts.seed },
    );
    const image = encoder.embedPixels(pixels, { training: opts.training });
    return clipLossFromEmbeddings(text, image, encoder.logitScale);
  });
}

/** (text, image key): the key is a product id the image provider resolves */
export const clipColumns: readonly LossColumn[] = [
  { name: 'text', type: 'text' },
  { name: 'image', type: 'text' },
];

/**
 * GradCache for the clip loss (open_clip's `--accum-freq` feature cache): both towers run `miniBatchSize`
 * rows at a time, and the logit scale gets its gradient from the full-batch loss.
 */
function clipSpec(encoder: ClipEmbedder, rows: readonly ClipRow[], opts: LossComputeOptions, miniBatchSize: number): GradCacheSpec {
  const pixels = opts.batch?.pixels;
  if (!pixels) throw new Error('clip loss: the batch has no pixels (the encoder needs a prepareBatch that loads the images)');
  const chunks = miniBatches(rows.length, miniBatchSize);
  return {
    columns: 2,
    chunks,
    embed: (col, c) => {
      const [a, b] = chunks[c]!;
      if (col === 0)
        return encoder.embedTexts(
          rows.slice(a, b).map((r) => r.text),
          { training: opts.training, seed: opts.seed },
        );
      return tf.tidy(() => encoder.embedPixels(pixels.slice([a, 0, 0, 0], [b - a, -1, -1, -1]), { training: opts.training }));
    },
    loss: (e) => clipLossFromEmbeddings(e[0]!, e[1]!, encoder.logitScale),
    direct: encoder.logitScale instanceof tf.Variable ? [encoder.logitScale] : [],
  };
}

/** The 'clip' loss over ClipRows, with a CLIP training adapter as the encoder; with `miniBatchSize`, through GradCache. */
export function clipLoss(miniBatchSize?: number): Loss<ClipEmbedder, ClipRow> {
  if (miniBatchSize !== undefined) miniBatches(0, miniBatchSize); // validates the size up front
  const loss: Loss<ClipEmbedder, ClipRow> = {
    name: 'clip',
    columns: clipColumns,
    rowsHint: 'the clip loss needs {"text", "image"} rows',
    validateRows: (rows, source) => validateLossRows(loss, rows, source),
    compute: computeClipLoss,
    ...(miniBatchSize !== undefined && {
      valueAndGrads: (encoder: ClipEmbedder, rows: readonly ClipRow[], opts: LossComputeOptions, vars: tf.Variable[]) =>
        gradCache(clipSpec(encoder, rows, opts, miniBatchSize), vars),
    }),
  };
  return loss;
}
