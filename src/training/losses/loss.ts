import * as tf from '@tensorflow/tfjs';
import type { TrainColumn, TrainRow } from '../data/trainRows.ts';
import { marginMseFromEmbeddings } from './marginMse.ts';
import { mnrlFromEmbeddings } from './mnrl.ts';

export type LossName = 'mnrl' | 'margin-mse';

export const lossNames: readonly LossName[] = ['mnrl', 'margin-mse'];

/** The part of SentenceEncoder a loss needs (kept structural so tests can pass a fake). */
export interface TextEmbedder {
  embedTexts(texts: string[], opts: { training: boolean; seed?: number }): tf.Tensor2D;
}

export interface LossComputeOptions {
  training: boolean;
  /** dropout seed for this step; each column derives its own from it */
  seed: number;
}

export interface Loss {
  name: LossName;
  /** columns every row must have (mnrl's negative is optional but all-or-none) */
  requiredColumns: readonly TrainColumn[];
  compute(encoder: TextEmbedder, rows: readonly TrainRow[], opts: LossComputeOptions): tf.Scalar;
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

export function createLoss(name: string, opts: LossOptions = {}): Loss {
  switch (name) {
    case 'mnrl':
      return mnrl(opts.scale ?? 20);
    case 'margin-mse':
      return marginMse();
    default:
      throw new Error(`unknown loss "${name}" (supported: ${lossNames.join(', ')})`);
  }
}
