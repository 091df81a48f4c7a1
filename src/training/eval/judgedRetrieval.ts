/**
 * What the retrieval evaluators share whatever their corpus holds (texts, images): which judged queries are
 * evaluated, which judged ids no ranking can contain, and the tail of a pass — embed the queries, rank the
 * corpus by cosine similarity, score the rankings with the graded metrics.
 */
import { preview } from '../data/corpus.ts';
import { countRelevant, type Judgments } from '../data/judgments.ts';
import type { EvaluateOptions, EvaluationResult, TextEncoderLike } from './evaluator.ts';
import { computeMetrics, rankingDepth, type MetricOptions } from './metrics.ts';
import { normalizeRows } from './topk.ts';
import { matMulTopK } from './matMulTopK.ts';

/** The judged queries with at least one relevant id; `item` names what is rated in the error ("doc", "product"). */
export function judgedQueries(judgments: Judgments, threshold: number, item: string): string[] {
  const queries = [...judgments].filter(([, judged]) => countRelevant(judged, threshold) > 0).map(([q]) => q);
  if (!queries.length) throw new RangeError(`no judged query has a ${item} rated ${threshold} or higher; nothing to evaluate`);
  return queries;
}

/**
 * Judged (query, id) pairs whose id is not among `known`, as "query / id", and the warning that reports them;
 * `what` says why they cannot be found ("docid(s) are not in the corpus"). They stay in the judgments: as in
 * pytrec_eval they count as relevant and in the ideal DCG, so the warning is what tells that recall is capped.
 */
export function unretrievableJudged(
  judgments: Judgments,
  known: ReadonlySet<string>,
  threshold: number,
  what: string,
): { pairs: string[]; warnings: string[] } {
  const pairs: string[] = [];
  let relevant = 0;
  for (const [q, judged] of judgments) {
    for (const [id, rating] of judged) {
      if (known.has(id)) continue;
      pairs.push(`${q} / ${id}`);
      if (rating >= threshold) relevant++;
    }
  }
  const warning =
    `${pairs.length} judged ${what} (${relevant} of them relevant); ` +
    `they still count as relevant/ideal but can never be retrieved: ${preview(pairs)}`;
  return { pairs, warnings: pairs.length ? [warning] : [] };
}

export interface JudgedRun {
  /** the corpus ids, one per corpus vector */
  ids: readonly string[];
  queries: string[];
  judgments: Judgments;
  metrics: MetricOptions & { batchSize?: number };
  warnings: readonly string[];
  /** what the corpus vectors embed ("docs", "images"), for the count-mismatch error */
  corpusItems: string;
}

/** Embeds the run's queries, ranks the corpus for each and scores the rankings (progress: 'queries', 'search'). */
export async function rankAndScore(
  encoder: TextEncoderLike,
  corpusVecs: Float32Array[],
  run: JudgedRun,
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const { signal, onProgress } = opts;
  const { ids, queries } = run;
  const queryVecs = await encoder.encode(queries, {
    batchSize: run.metrics.batchSize ?? 32,
    signal,
    onProgress: (done, total) => onProgress?.({ phase: 'queries', done, total }),
  });
  if (corpusVecs.length !== ids.length || queryVecs.length !== queries.length) {
    throw new Error(
      `encoder returned ${corpusVecs.length}/${queryVecs.length} embeddings for ${ids.length} ${run.corpusItems}/${queries.length} queries`,
    );
  }
  onProgress?.({ phase: 'search', done: 0, total: queries.length });
  const hits = await matMulTopK(queryVecs, normalizeRows(corpusVecs), rankingDepth(run.metrics), { signal });
  onProgress?.({ phase: 'search', done: queries.length, total: queries.length });
  return scoreHits(hits, run);
}

/** The run's queries' rankings (corpus rows, best first, aligned with run.queries) scored with the graded metrics. */
export function scoreHits(hits: readonly { indices: ArrayLike<number> }[], run: JudgedRun): EvaluationResult {
  const rankings = new Map(run.queries.map((q, i) => [q, Array.from(hits[i]!.indices, (r) => run.ids[r]!)]));
  const summary = computeMetrics(rankings, run.judgments, run.metrics);
  return { metrics: summary.metrics, queries: summary.queries, skippedQueries: summary.skippedQueries, warnings: [...run.warnings] };
}
