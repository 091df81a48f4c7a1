/**
 * The evaluator contract, after sentence-transformers' SentenceEvaluator: an evaluator owns its data, asks an
 * encoder for embeddings and returns named metrics, one of which (primaryMetric) is what training tracks
 * for best-checkpoint selection. Encoders are structural so tests and other models (CLIP text towers, ONNX
 * sessions) can be evaluated without depending on the tfjs SentenceEncoder.
 */
import type { QueryMetrics } from './metrics.ts';

export type { QueryMetrics } from './metrics.ts';

export interface EncodeOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface TextEncoderLike {
  /** one embedding per text, in input order */
  encode(texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
}

export interface EvaluationProgress {
  phase: 'corpus' | 'queries' | 'search';
  done: number;
  total: number;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  onProgress?: (p: EvaluationProgress) => void;
}

export interface EvaluationResult {
  /** mean metrics, e.g. { 'ndcg@10': 0.41, 'mrr@10': ..., 'recall@10': ..., 'recall@100': ..., 'map@100': ... } */
  metrics: Record<string, number>;
  /** per-query metrics for the queries that were averaged */
  queries: QueryMetrics[];
  /** judged queries left out of the means (no doc rated at or above the relevance threshold) */
  skippedQueries?: string[];
  warnings?: string[];
}

export interface Evaluator {
  readonly name: string;
  /** key of `metrics` that decides which checkpoint is best (higher is better) */
  readonly primaryMetric: string;
  evaluate(encoder: TextEncoderLike, opts?: EvaluateOptions): Promise<EvaluationResult>;
}
