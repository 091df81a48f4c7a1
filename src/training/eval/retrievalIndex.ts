/**
 * A model's searchable corpus: the embeddings of every product (their texts for text families, their images
 * for text-image families), computed once and shared by evaluation, the playground's search and mining, so a
 * corpus is embedded once per model whichever step asks first.
 */
import type { Judgments } from '../data/judgments.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult } from './evaluator.ts';
import type { MetricOptions } from './metrics.ts';
import type { NormalizedMatrix } from './topk.ts';

export interface RetrievalIndex {
  /** product ids of the matrix rows, in corpus order */
  readonly ids: readonly string[];
  /** what a corpus pass embeds (progress is reported as embedding texts or images) */
  readonly corpusKind: 'texts' | 'images';
  /** the corpus embeddings (computed on first use; an aborted computation is not cached) */
  corpus(opts?: EncodeOptions): Promise<Float32Array[]>;
  matrix(opts?: EncodeOptions): Promise<NormalizedMatrix>;
  /** the query texts' unit-length embeddings, in the corpus' space (hybrid ranking scores every row with them) */
  queryVectors(queries: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** top-k corpus rows for each query text, as product ids with cosine scores */
  search(queries: string[], k: number, opts?: EncodeOptions): Promise<{ ids: string[]; scores: number[] }[]>;
  /** the task's evaluator (text→text or text→image) over the cached corpus */
  evaluate(judgments: Judgments, metricOpts: MetricOptions, opts?: EvaluateOptions): Promise<EvaluationResult>;
  /** the engine that embedded (e.g. "onnxruntime-web wasm, 2 threads"), once known */
  readonly engine?: string;
  /** frees what the index holds outside the JS heap (an onnxruntime session) */
  release?(): Promise<void>;
}
