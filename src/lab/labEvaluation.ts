/**
 * The pipeline session's evaluations and BM25: a model slot's own evaluator, BM25 over the loaded corpus'
 * product texts (built once per data set, well under a second for the Chorus catalogue), or the slot fused
 * with BM25 — the Evaluate step's columns — and the playground's BM25 list. The dense side of a hybrid is the
 * slot's cached retrieval index, so nothing is embedded twice.
 */
import { Bm25Index } from '../training/eval/bm25.ts';
import type { EvaluationProgress, EvaluationResult } from '../training/eval/evaluator.ts';
import { evaluateRanking, rankQueries } from '../training/eval/rankingEvaluation.ts';
import type { RetrievalIndex } from '../training/eval/retrievalIndex.ts';
import type { EvaluateRequest, EvaluationResult as LabEvaluationResult, ProgressCallback, SearchHit } from './api/labApi.ts';
import { pickJudgments, type LoadedLabData } from './labData.ts';

const progressPhase = { texts: 'embed-corpus', images: 'embed-images' } as const;
import { hitRows } from './searchHits.ts';

export class LabEvaluation {
  private cached?: { data: LoadedLabData; index: Bm25Index };
  /** a CLIP index covers only the products with an image: the hybrid's BM25 ranks the same rows */
  private subset?: { ids: readonly string[]; index: Bm25Index };

  /** BM25 over `data`'s product texts (the dense models' text template), rebuilt when the data changes. */
  bm25(data: LoadedLabData): Bm25Index {
    if (this.cached?.data !== data) this.cached = { data, index: new Bm25Index(data.texts) };
    return this.cached.index;
  }

  private bm25Over(data: LoadedLabData, ids: readonly string[]): Bm25Index {
    if (ids === data.ids) return this.bm25(data);
    if (this.subset?.ids !== ids) this.subset = { ids, index: new Bm25Index(ids.map((id) => data.texts[data.rowOf.get(id)!]!)) };
    return this.subset.index;
  }

  /** The request's ranking (`index`: the slot's, undefined for BM25) scored on the judged queries it names. */
  async evaluate(
    req: EvaluateRequest,
    data: LoadedLabData,
    index: RetrievalIndex | undefined,
    onProgress?: ProgressCallback,
    signal?: AbortSignal,
  ): Promise<LabEvaluationResult> {
    if (!data.judgments) throw new Error('evaluation needs judgments: drop a judgments CSV in the Data step');
    const judgments = pickJudgments(data.judgments, req.queries);
    const metricOpts = { k: req.k ?? 10, relevanceThreshold: req.relevanceThreshold ?? 2 };
    const opts = {
      signal,
      onProgress: (p: EvaluationProgress) =>
        onProgress?.({
          phase: p.phase === 'corpus' ? progressPhase[index?.corpusKind ?? 'texts'] : p.phase === 'queries' ? 'embed-queries' : 'evaluate',
          done: p.done,
          total: p.total,
          unit: 'items',
        }),
    };
    const hybrid = index && req.hybrid;
    let r: EvaluationResult;
    if (index && !hybrid) r = await index.evaluate(judgments, metricOpts, opts);
    else {
      const source = hybrid ? ({ kind: 'hybrid', dense: index, hybrid } as const) : ({ kind: 'bm25' } as const);
      const ids = index && hybrid ? index.ids : data.ids;
      r = await evaluateRanking(source, this.bm25Over(data, ids), ids, judgments, metricOpts, opts);
    }
    return { which: req.which, ...(hybrid && { hybrid }), metrics: r.metrics, queries: r.queries, warnings: r.warnings ?? [] };
  }

  /** The playground's BM25 list (only products sharing a word with the query). */
  async search(data: LoadedLabData, query: string, k: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const q = query.trim();
    if (!q) return [];
    const [hit] = await rankQueries({ kind: 'bm25' }, this.bm25(data), [q], k, { signal });
    return hitRows(data, q, { ids: Array.from(hit!.indices, (r) => data.ids[r]!), scores: Array.from(hit!.scores) });
  }
}
