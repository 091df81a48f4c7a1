import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import { validateRowsForLoss } from '../data/trainRows.ts';
import { validateClipRows, type ClipRow } from '../data/clipRows.ts';
import { computeClipLoss, type ClipEmbedder } from './clipLoss.ts';
import { marginMseFromEmbeddings } from './marginMse.ts';
import { mnrlFromEmbeddings } from './mnrl.ts';

export type LossName = 'mnrl' | 'margin-mse' | 'clip';

export const lossNames: readonly LossName[] = ['mnrl', 'margin-mse', 'clip'];

/** The part of SentenceEncoder a loss needs (kept structural so tests can pass a fake). */
export interface TextEmbedder {
  embedTexts(texts: string[], opts: { training: boolean; seed?: number }): tf.Tensor2D;
}

/** Inputs fetched asynchronously before the gradient (trainLoop's prepareBatch); the loop disposes them. */
export interface PreparedBatch {
  /** preprocessed images [B, 3, H, W], one per row, for the clip loss */
  pixels?: tf.Tensor4D;
}

export interface LossComputeOptions {
  training: boolean;
  /** dropout seed for this step; each column derives its own from it */
  seed: number;
  batch?: PreparedBatch;
}

/** A loss over rows of type R computed with an encoder of type E (text losses: TextEmbedder and TrainRow). */
export interface Loss<E = TextEmbedder, R = TrainRow> {
  name: LossName;
  /** columns every row must have (mnrl's negative is optional but all-or-none) */
  requiredColumns: readonly string[];
  /** throws naming `source` and the row when a row lacks what the loss needs */
  validateRows(rows: readonly R[], source?: string): void;
  compute(encoder: E, rows: readonly R[], opts: LossComputeOptions): tf.Scalar;
}

export interface LossOptions {
  /** mnrl's similarity scale (sentence-transformers default 20) */
  scale?: number;
}

/**
 * Each column is tokenized and embedded as its own batch, like sentence-transformers' collator, and
 * with its own dropout seed, like the separate forward passes there.
 */
function embedColumn(encoder: TextEmbedder, texts: string[], opts: LossComputeOptions, column: number): tf.Tensor2D {
  return encoder.embedTexts(texts, { training: opts.training, seed: (opts.seed + column * 0x9e3779b1) >>> 0 });
}

function mnrl(scale: number): Loss {
  return {
    name: 'mnrl',
    requiredColumns: ['query', 'positive'],
    validateRows: (rows, source) => validateRowsForLoss(rows, 'mnrl', source),
    compute(encoder, rows, opts) {
      const hasNeg = rows[0]?.negative !== undefined;
      return tf.tidy(() => {
        const a = embedColumn(encoder, rows.map((r) => r.query), opts, 0);
        const p = embedColumn(encoder, rows.map((r) => r.positive), opts, 1);
        const n = hasNeg ? embedColumn(encoder, rows.map((r) => r.negative!), opts, 2) : null;
        return mnrlFromEmbeddings(a, p, n, scale);
      });
    },
  };
}

function marginMse(): Loss {
  return {
    name: 'margin-mse',
    requiredColumns: ['query', 'positive', 'negative', 'margin'],
    validateRows: (rows, source) => validateRowsForLoss(rows, 'margin-mse', source),
    compute(encoder, rows, opts) {
      return tf.tidy(() => {
        const q = embedColumn(encoder, rows.map((r) => r.query), opts, 0);
        const p = embedColumn(encoder, rows.map((r) => r.positive), opts, 1);
        const n = embedColumn(encoder, rows.map((r) => r.negative!), opts, 2);
        return marginMseFromEmbeddings(q, p, n, rows.map((r) => r.margin!));
      });
    },
  };
}

function clip(): Loss<ClipEmbedder, ClipRow> {
  return { name: 'clip', requiredColumns: ['text', 'image'], validateRows: validateClipRows, compute: computeClipLoss };
}

/**
 * The loss registry. A name known only at run time (a config's) types the loss by the encoder and rows the
 * caller pairs with it, text ones by default; validateRows checks the rows against the real loss.
 */
export function createLoss(name: 'clip', opts?: LossOptions): Loss<ClipEmbedder, ClipRow>;
export function createLoss<E = TextEmbedder, R = TrainRow>(name: string, opts?: LossOptions): Loss<E, R>;
export function createLoss(name: string, opts: LossOptions = {}): unknown {
  switch (name) {
    case 'mnrl':
      return mnrl(opts.scale ?? 20);
    case 'margin-mse':
      return marginMse();
    case 'clip':
      return clip();
    default:
      throw new Error(`unknown loss "${name}" (supported: ${lossNames.join(', ')})`);
  }
}
