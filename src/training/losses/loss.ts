import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';

/** The built-in losses (registry.ts); a config names one of them. */
export type LossName = 'mnrl' | 'cached-mnrl' | 'margin-mse' | 'clip';

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

/**
 * A dataset column a loss reads, as in sentence-transformers' column-per-input layout. An optional column is
 * all-or-none across the rows because columns are batched whole.
 */
export interface LossColumn {
  name: string;
  /** 'text': a non-empty string (a text, or an image key); 'number': a finite number */
  type: 'text' | 'number';
  optional?: boolean;
}

/** A loss value and the gradients of the trained variables, keyed by variable name as tf.variableGrads returns them. */
export interface ValueAndGrads {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/** A loss over rows of type R computed with an encoder of type E (text losses: TextEmbedder and TrainRow). */
export interface Loss<E = TextEmbedder, R = TrainRow> {
  name: string;
  /** the columns it reads, in the order rows are checked */
  columns: readonly LossColumn[];
  /** what a row must hold, for error messages; default "<name> needs <required columns>" */
  rowsHint?: string;
  /** throws naming `source` and the row when a row lacks a column the loss declares */
  validateRows(rows: readonly R[], source?: string): void;
  compute(encoder: E, rows: readonly R[], opts: LossComputeOptions): tf.Scalar;
  /**
   * The value and the gradients of `vars` (by variable name, as tf.variableGrads returns them) when the loss
   * computes them itself (GradCache: several tapes per step); otherwise the loop differentiates compute().
   */
  valueAndGrads?(encoder: E, rows: readonly R[], opts: LossComputeOptions, vars: tf.Variable[]): ValueAndGrads;
}

export interface LossOptions {
  /** mnrl's similarity scale (sentence-transformers default 20) */
  scale?: number;
  /** cached-mnrl: rows per forward pass (sentence-transformers' mini_batch_size, default 32) */
  miniBatchSize?: number;
  /** MatryoshkaLoss around a text loss: the prefix sizes, and one weight each (default 1) */
  matryoshkaDims?: readonly number[];
  matryoshkaWeights?: readonly number[];
}

/**
 * Each column is tokenized and embedded as its own batch, like sentence-transformers' collator, and
 * with its own dropout seed, like the separate forward passes there.
 */
export function embedColumn(encoder: TextEmbedder, texts: string[], opts: LossComputeOptions, column: number): tf.Tensor2D {
  return encoder.embedTexts(texts, { training: opts.training, seed: (opts.seed + column * 0x9e3779b1) >>> 0 });
}

const textColumns = ['query', 'positive', 'negative'] as const;

/** A TrainRow text column through embedColumn, numbered as the text losses order them (query, positive, negative). */
export function embedTextColumn(
  encoder: TextEmbedder,
  rows: readonly TrainRow[],
  column: (typeof textColumns)[number],
  opts: LossComputeOptions,
): tf.Tensor2D {
  const texts = rows.map((r) => r[column]!);
  return embedColumn(encoder, texts, opts, textColumns.indexOf(column));
}
