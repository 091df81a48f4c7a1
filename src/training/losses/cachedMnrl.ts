import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import { embedColumn, type Loss, type LossComputeOptions, type TextEmbedder, type ValueAndGrads } from './loss.ts';
import { mnrlColumns, mnrlFromEmbeddings } from './mnrl.ts';
import { validateLossRows } from './validateRows.ts';
import { embedAll, gradCache, miniBatches, type GradCacheSpec } from './gradCache.ts';
import { checkMatryoshka, matryoshkaFromEmbeddings, type MatryoshkaOptions } from './matryoshka.ts';

/**
 * CachedMultipleNegativesRankingLoss (sentence-transformers): MNRL over a batch larger than activation memory
 * holds, through GradCache (gradCache.ts) with `miniBatchSize` rows per forward pass.
 *
 * Dropout: each mini-batch has its own seed, and step 3 reuses it, so the two passes drop the same elements
 * (sentence-transformers replays the RNG state for the same reason). Those masks are not the ones a plain
 * MNRL forward of the whole batch draws, exactly as in sentence-transformers.
 */

const columns = ['query', 'positive', 'negative'] as const;

/** The mini-batch's own dropout seed: a pure function of the column's seed and the mini-batch index. */
function chunkSeed(opts: LossComputeOptions, chunk: number): LossComputeOptions {
  return { ...opts, seed: (Math.imul(opts.seed ^ 0x27d4eb2f, 0x165667b1) + Math.imul(chunk + 1, 0x9e3779b9)) >>> 0 };
}

/**
 * MNRL over each text column embedded per mini-batch, with the mini-batch's seed: the same call in both passes.
 * Under Matryoshka the full-batch loss is summed over the re-normalized prefixes (sentence-transformers wraps
 * CachedMNRL the same way: the cached embeddings get the gradient of the whole Matryoshka sum).
 */
function mnrlSpec(
  encoder: TextEmbedder,
  rows: readonly TrainRow[],
  opts: LossComputeOptions,
  miniBatchSize: number,
  scale: number,
  matryoshka?: MatryoshkaOptions,
): GradCacheSpec {
  const cols = columns.filter((c) => c !== 'negative' || rows[0]?.negative !== undefined);
  const chunks = miniBatches(rows.length, miniBatchSize);
  return {
    columns: cols.length,
    chunks,
    embed: (col, c) =>
      embedColumn(
        encoder,
        rows.slice(chunks[c]![0], chunks[c]![1]).map((r) => r[cols[col]!]!),
        chunkSeed(opts, c),
        columns.indexOf(cols[col]!),
      ),
    loss: (e) => {
      const core = (c: (tf.Tensor2D | null)[]) => mnrlFromEmbeddings(c[0]!, c[1]!, c[2] ?? null, scale);
      return matryoshka ? matryoshkaFromEmbeddings(e, matryoshka, core) : core(e);
    },
  };
}

/** The GradCache step: the full batch's MNRL value and the parameter gradients, one mini-batch's tape at a time. */
export function cachedMnrlValueAndGrads(
  encoder: TextEmbedder,
  rows: readonly TrainRow[],
  opts: LossComputeOptions,
  vars: tf.Variable[],
  miniBatchSize: number,
  scale = 20,
  matryoshka?: MatryoshkaOptions,
): ValueAndGrads {
  return gradCache(mnrlSpec(encoder, rows, opts, miniBatchSize, scale, matryoshka), vars);
}

/** The 'cached-mnrl' loss: MNRL's columns and value, GradCache's gradients (valueAndGrads); optionally under Matryoshka. */
export function cachedMnrlLoss(miniBatchSize = 32, scale = 20, matryoshka?: MatryoshkaOptions): Loss {
  miniBatches(0, miniBatchSize); // validates the size up front
  if (matryoshka) checkMatryoshka(matryoshka);
  const loss: Loss = {
    name: matryoshka ? 'matryoshka(cached-mnrl)' : 'cached-mnrl',
    columns: mnrlColumns,
    validateRows: (rows, source) => validateLossRows(loss, rows, source),
    // the value alone (evaluation, tests): the same mini-batches and seeds, no gradients
    compute: (encoder, rows, opts) =>
      tf.tidy(() => {
        const spec = mnrlSpec(encoder, rows, opts, miniBatchSize, scale, matryoshka);
        return spec.loss(embedAll(spec));
      }),
    valueAndGrads: (encoder, rows, opts, vars) => cachedMnrlValueAndGrads(encoder, rows, opts, vars, miniBatchSize, scale, matryoshka),
  };
  return loss;
}
