/**
 * Ranking metrics over graded judgments (ratings 0–3, unjudged = 0), following the definitions used by
 * BEIR / pytrec_eval:
 *   nDCG@k   = Σ_{i≤k} (2^rating_i − 1)/log2(i+1), divided by the same sum over the query's judged ratings
 *              sorted descending (graded gain, not binary; ideal list built from all judged docs)
 *   MRR@k    = 1 / rank of the first relevant doc within the top k, else 0
 *   Recall@n = |relevant ∩ top n| / |relevant|, for n = k and 100
 *   MAP@100  = Σ over relevant docs at rank i ≤ 100 of precision@i, divided by min(|relevant|, 100)
 * A doc is relevant when its rating ≥ relevanceThreshold (default 2). Means are over queries with at least
 * one relevant doc; a query without one has no defined recall and would only dilute the averages.
 */
import type { Judgments } from '../data/judgments.ts';
import { countRelevant } from '../data/judgments.ts';

export interface MetricOptions {
  /** cut-off for nDCG and MRR (and the first recall); default 10 */
  k?: number;
  /** rating at or above which a doc counts as relevant; default 2 */
  relevanceThreshold?: number;
}

export interface QueryMetrics {
  query: string;
  numRelevant: number;
  metrics: Record<string, number>;
}

export interface MetricsSummary {
  /** mean of each metric over `queries` */
  metrics: Record<string, number>;
  /** per-query values, for every query with at least one relevant doc, in judgments order */
  queries: QueryMetrics[];
  /** judged queries without any doc rated ≥ threshold (not averaged) */
  skippedQueries: string[];
}

export const mapCutoff = 100;

function resolved(opts: MetricOptions = {}) {
  const k = opts.k ?? 10;
  const relevanceThreshold = opts.relevanceThreshold ?? 2;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isFinite(relevanceThreshold)) throw new RangeError(`relevanceThreshold must be a number, got ${relevanceThreshold}`);
  const recallKs = [...new Set([k, 100])].sort((a, b) => a - b);
  return { k, relevanceThreshold, recallKs };
}

/** Metric names in report order for the given options, e.g. ndcg@10, mrr@10, recall@10, recall@100, map@100. */
export function metricNames(opts: MetricOptions = {}): string[] {
  const { k, recallKs } = resolved(opts);
  return [`ndcg@${k}`, `mrr@${k}`, ...recallKs.map((n) => `recall@${n}`), `map@${mapCutoff}`];
}

/** How deep a ranking must be for every metric to be exact. */
export function rankingDepth(opts: MetricOptions = {}): number {
  return Math.max(resolved(opts).k, 100, mapCutoff);
}

const gain = (rating: number) => 2 ** rating - 1;

/** Metrics of one ranked list of docids (best first) against one query's judgments. */
export function queryMetrics(
  ranked: readonly string[],
  judged: ReadonlyMap<string, number>,
  opts: MetricOptions = {},
): { numRelevant: number; metrics: Record<string, number> } {
  const { k, relevanceThreshold, recallKs } = resolved(opts);
  const numRelevant = countRelevant(judged, relevanceThreshold);

  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += gain(judged.get(ranked[i]!) ?? 0) / Math.log2(i + 2);
  const ideal = [...judged.values()].sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((r, i) => (idcg += gain(r) / Math.log2(i + 2)));

  let mrr = 0;
  const depth = Math.max(k, mapCutoff, ...recallKs);
  const hitsAt: number[] = []; // hitsAt[i] = relevant docs within the top i+1
  let hits = 0;
  let apSum = 0;
  for (let i = 0; i < Math.min(depth, ranked.length); i++) {
    const relevant = (judged.get(ranked[i]!) ?? 0) >= relevanceThreshold;
    if (relevant) {
      hits++;
      if (mrr === 0 && i < k) mrr = 1 / (i + 1);
      if (i < mapCutoff) apSum += hits / (i + 1);
    }
    hitsAt.push(hits);
  }
  const hitsWithin = (n: number) => (hitsAt.length ? hitsAt[Math.min(n, hitsAt.length) - 1]! : 0);

  const metrics: Record<string, number> = {
    [`ndcg@${k}`]: idcg > 0 ? dcg / idcg : 0,
    [`mrr@${k}`]: mrr,
  };
  for (const n of recallKs) metrics[`recall@${n}`] = numRelevant ? hitsWithin(n) / numRelevant : 0;
  metrics[`map@${mapCutoff}`] = numRelevant ? apSum / Math.min(numRelevant, mapCutoff) : 0;
  return { numRelevant, metrics };
}

/**
 * Metrics for a whole run. `rankings` maps each query to its ranked docids; a judged query with relevant
 * docs but no ranking is an error (a silently missing query would inflate the mean).
 */
export function computeMetrics(rankings: ReadonlyMap<string, readonly string[]>, judgments: Judgments, opts: MetricOptions = {}): MetricsSummary {
  const { relevanceThreshold } = resolved(opts);
  const names = metricNames(opts);
  const queries: QueryMetrics[] = [];
  const skippedQueries: string[] = [];
  for (const [query, judged] of judgments) {
    if (countRelevant(judged, relevanceThreshold) === 0) {
      skippedQueries.push(query);
      continue;
    }
    const ranked = rankings.get(query);
    if (!ranked) throw new Error(`no ranking for judged query ${JSON.stringify(query)}`);
    queries.push({ query, ...queryMetrics(ranked, judged, opts) });
  }
  const metrics: Record<string, number> = {};
  for (const name of names) {
    let sum = 0;
    for (const q of queries) sum += q.metrics[name]!;
    metrics[name] = queries.length ? sum / queries.length : 0;
  }
  return { metrics, queries, skippedQueries };
}
