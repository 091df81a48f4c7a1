/**
 * Rankings that are not one model's cosine top-k — BM25, and BM25 fused with a dense model — scored with
 * the same judgments, metrics and warnings as RetrievalEvaluator, so the Evaluate table and `ftlab eval`
 * put BM25 | base | fine-tuned | hybrid side by side on equal terms.
 */
import type { Judgments } from '../data/judgments.ts';
import type { Bm25Index } from './bm25.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult } from './evaluator.ts';
import { hybridTop, type HybridOptions } from './hybridRanking.ts';
import { judgedQueries, scoreHits, unretrievableJudged } from './judgedRetrieval.ts';
import { rankingDepth, type MetricOptions } from './metrics.ts';
import type { NormalizedMatrix, RowHits } from './topk.ts';

/** The dense half of a hybrid: a model's unit query vectors and its unit corpus matrix (a RetrievalIndex is one). */
export interface DenseSide {
  queryVectors(queries: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  matrix(opts?: EncodeOptions): Promise<NormalizedMatrix>;
}

export type RankingSource = { kind: 'bm25' } | { kind: 'hybrid'; dense: DenseSide; hybrid: HybridOptions };

/** The source's top-k corpus rows for each query. */
export async function rankQueries(
  source: RankingSource,
  bm25: Bm25Index,
  queries: string[],
  k: number,
  opts: EvaluateOptions = {},
): Promise<RowHits[]> {
  const { signal, onProgress } = opts;
  if (source.kind === 'bm25') return queries.map((q) => (signal?.throwIfAborted(), bm25.search(q, k)));
  const m = await source.dense.matrix({ signal, onProgress: (done, total) => onProgress?.({ phase: 'corpus', done, total }) });
  const vectors = await source.dense.queryVectors(queries, { signal, onProgress: (done, total) => onProgress?.({ phase: 'queries', done, total }) });
  const out: RowHits[] = [];
  for (let i = 0; i < queries.length; i++) {
    signal?.throwIfAborted();
    onProgress?.({ phase: 'search', done: i, total: queries.length });
    out.push(hybridTop(bm25, queries[i]!, vectors[i]!, m, k, source.hybrid));
    // a long evaluation must not freeze the worker's message loop (abort, progress)
    if (i % 16 === 15) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  onProgress?.({ phase: 'search', done: queries.length, total: queries.length });
  return out;
}

/** The source's rankings of the judged queries over `ids` (the BM25 index's rows), scored like a model's. */
export async function evaluateRanking(
  source: RankingSource,
  bm25: Bm25Index,
  ids: readonly string[],
  judgments: Judgments,
  metricOpts: MetricOptions = {},
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  if (ids.length !== bm25.size) throw new RangeError(`${ids.length} product ids for a BM25 index of ${bm25.size}`);
  const threshold = metricOpts.relevanceThreshold ?? 2;
  const queries = judgedQueries(judgments, threshold, 'doc');
  const { warnings } = unretrievableJudged(judgments, new Set(ids), threshold, 'docid(s) are not in the corpus');
  const hits = await rankQueries(source, bm25, queries, rankingDepth(metricOpts), opts);
  return scoreHits(hits, { ids, queries, judgments, metrics: metricOpts, warnings, corpusItems: 'docs' });
}
