import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import { embedColumn, type Loss, type LossComputeOptions, type TextEmbedder } from './loss.ts';
import { mnrlColumns, mnrlFromEmbeddings } from './mnrl.ts';
import { validateLossRows } from './validateRows.ts';

/**
 * CachedMultipleNegativesRankingLoss (sentence-transformers; GradCache, Gao et al. 2021): MNRL over a batch
 * larger than activation memory holds.
 *   1. embed every column in mini-batches of `miniBatchSize` without a tape (only the embeddings stay);
 *   2. MNRL on the full batch's embeddings, and its gradient with respect to those embeddings;
 *   3. embed each mini-batch again under a tape and back-propagate Σ embedding · cached gradient,
 *      accumulating the parameter gradients.
 * Step 3's gradient of Σ e·g is exactly ∂loss/∂θ through that mini-batch, so the update is plain MNRL's
 * while peak memory is one mini-batch's activations plus the B × dim embeddings.
 *
 * Dropout: each mini-batch has its own seed, and step 3 reuses it, so the two passes drop the same elements
 * (sentence-transformers replays the RNG state for the same reason). Those masks are not the ones a plain
 * MNRL forward of the whole batch draws, exactly as in sentence-transformers.
 */
export interface CachedValueAndGrads {
  value: tf.Scalar;
  /** by variable name, like tf.variableGrads */
  grads: tf.NamedTensorMap;
}

const columns = ['query', 'positive', 'negative'] as const;

/** The mini-batch's own dropout seed: a pure function of the column's seed and the mini-batch index. */
function chunkSeed(opts: LossComputeOptions, chunk: number): LossComputeOptions {
  return { ...opts, seed: (Math.imul(opts.seed ^ 0x27d4eb2f, 0x165667b1) + Math.imul(chunk + 1, 0x9e3779b9)) >>> 0 };
}

/** [start, end) of each mini-batch. */
export function miniBatches(n: number, size: number): [number, number][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`mini-batch size must be a positive integer, got ${size}`);
  const out: [number, number][] = [];
  for (let a = 0; a < n; a += size) out.push([a, Math.min(n, a + size)]);
  return out;
}

/** Each text column's rows embedded per mini-batch, with the mini-batch's seed: the same call in both passes. */
function miniBatchEmbedder(encoder: TextEmbedder, rows: readonly TrainRow[], opts: LossComputeOptions, miniBatchSize: number) {
  const cols = columns.filter((c) => c !== 'negative' || rows[0]?.negative !== undefined);
  const chunks = miniBatches(rows.length, miniBatchSize);
  const embed = (col: (typeof columns)[number], c: number) => {
    const [a, b] = chunks[c]!;
    return embedColumn(
      encoder,
      rows.slice(a, b).map((r) => r[col]!),
      chunkSeed(opts, c),
      columns.indexOf(col),
    );
  };
  const full = () => cols.map((col) => tf.tidy(() => tf.concat(chunks.map((_, c) => embed(col, c)))));
  return { cols, chunks, embed, full };
}

const lossOf = (e: tf.Tensor[], scale: number) =>
  mnrlFromEmbeddings(e[0] as tf.Tensor2D, e[1] as tf.Tensor2D, (e[2] as tf.Tensor2D | undefined) ?? null, scale);

/** The GradCache step: the full batch's MNRL value and the parameter gradients, one mini-batch's tape at a time. */
export function cachedMnrlValueAndGrads(
  encoder: TextEmbedder,
  rows: readonly TrainRow[],
  opts: LossComputeOptions,
  vars: tf.Variable[],
  miniBatchSize: number,
  scale = 20,
): CachedValueAndGrads {
  const { cols, chunks, embed, full: embedAll } = miniBatchEmbedder(encoder, rows, opts, miniBatchSize);
  // 1. no tape: only the embeddings are kept
  const full = embedAll();
  // 2. the loss on the whole batch and its gradient with respect to the embeddings
  const { value, grads: embGrads } = tf.valueAndGrads((...e: tf.Tensor[]) => lossOf(e, scale))(full);
  tf.dispose(full);
  // 3. each mini-batch again, under a tape, pulled by its slice of the cached gradient
  const acc: tf.NamedTensorMap = {};
  try {
    cols.forEach((col, i) => {
      chunks.forEach(([a, b], c) => {
        const g = embGrads[i]!.slice([a, 0], [b - a, -1]);
        const step = tf.variableGrads(() => tf.sum(tf.mul(embed(col, c), g)) as tf.Scalar, vars);
        g.dispose();
        step.value.dispose();
        for (const [name, grad] of Object.entries(step.grads)) {
          const prev = acc[name];
          acc[name] = prev ? tf.add(prev, grad) : grad;
          if (prev) tf.dispose([prev, grad]);
        }
      });
    });
  } catch (e) {
    tf.dispose([value, ...Object.values(acc)]);
    throw e;
  } finally {
    tf.dispose(embGrads);
  }
  return { value: value as tf.Scalar, grads: acc };
}

/** The 'cached-mnrl' loss: MNRL's columns and value, GradCache's gradients (valueAndGrads). */
export function cachedMnrlLoss(miniBatchSize = 32, scale = 20): Loss {
  miniBatches(0, miniBatchSize); // validates the size up front
  const loss: Loss = {
    name: 'cached-mnrl',
    columns: mnrlColumns,
    validateRows: (rows, source) => validateLossRows(loss, rows, source),
    // the value alone (evaluation, tests): the same mini-batches and seeds, no gradients
    compute: (encoder, rows, opts) => tf.tidy(() => lossOf(miniBatchEmbedder(encoder, rows, opts, miniBatchSize).full(), scale)),
    valueAndGrads: (encoder, rows, opts, vars) => cachedMnrlValueAndGrads(encoder, rows, opts, vars, miniBatchSize, scale),
  };
  return loss;
}
