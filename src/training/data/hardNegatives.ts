/**
 * Hard negatives with the semantics of sentence-transformers' `mine_hard_negatives`, from the dense model,
 * from BM25, or from both:
 *   1. candidates: each query's top products by the source (both: the two rankings interleaved, first
 *      occurrence kept), minus the products it must not get — those with the positive's text, and any the
 *      caller excludes (judged-relevant ones);
 *   2. scores: the cross-encoder's when one is given (it rescores the candidates), else the dense model's
 *      cosine (sources dense and both), else BM25's; the positive is scored the same way;
 *   3. rank range: candidates ordered by that score, ranks rangeMin + 1 … rangeMax (range_min skips the
 *      closest ones, often unlabelled positives);
 *   4. filters against the positive's score p: s ≤ maxScore, s ≥ minScore, s ≤ p − absoluteMargin,
 *      s ≤ p · (1 − relativeMargin); a candidate failing several counts under the first;
 *   5. numNegatives of the survivors: the top ones, or a seeded random sample.
 * Output: one (query, positive, negative) row per negative, as the default 'triplet' output format does.
 */
import type { Bm25Index } from '../eval/bm25.ts';
import { dot, topRows, type NormalizedMatrix } from '../eval/topk.ts';
import { matMulTopK } from '../eval/matMulTopK.ts';
import { Rng } from '../random/rng.ts';
import type { TrainRow } from './trainRows.ts';

export type NegativeSource = 'dense' | 'bm25' | 'both';
export type FilterReason = 'maxScore' | 'minScore' | 'absoluteMargin' | 'relativeMargin';

export interface HardNegativeOptions {
  source?: NegativeSource;
  /** default 3 */
  numNegatives?: number;
  /** candidates skipped at the top of the ranking; default 0 */
  rangeMin?: number;
  /** candidates considered; default 100 */
  rangeMax?: number;
  maxScore?: number;
  minScore?: number;
  absoluteMargin?: number;
  relativeMargin?: number;
  /** default 'top' */
  sampling?: 'top' | 'random';
  seed?: number;
  /** queries reported in full (positive, kept and filtered candidates with scores); default 5 */
  examples?: number;
  signal?: AbortSignal;
}

export interface MiningScorers {
  /** unit query and positive vectors of the dense model, and its unit corpus matrix */
  dense?: { queries: Float32Array[]; positives: Float32Array[]; corpus: NormalizedMatrix };
  bm25?: Bm25Index;
  /** rescoring: a score per (query, text) pair */
  crossEncoder?: (pairs: [string, string][]) => Promise<ArrayLike<number>>;
}

export interface ScoredText {
  text: string;
  score: number;
}

export interface MiningExample {
  query: string;
  positive: ScoredText;
  kept: ScoredText[];
  filtered: (ScoredText & { reason: FilterReason })[];
}

export interface MiningStats {
  queries: number;
  candidates: number;
  /** removed before ranking: the positive's own text, and the caller's exclusions (judged relevant) */
  excluded: number;
  outOfRange: number;
  filtered: Record<FilterReason, number>;
  /** survivors not sampled */
  unused: number;
  negatives: number;
  queriesWithoutNegatives: number;
  meanPositiveScore: number;
  meanNegativeScore: number;
  scoredBy: 'cross-encoder' | 'dense' | 'bm25';
}

export interface MinedNegatives {
  rows: TrainRow[];
  /** per input row, the corpus rows chosen as its negatives, in ranking order */
  negatives: Int32Array[];
  stats: MiningStats;
  examples: MiningExample[];
}

function checkOptions(o: HardNegativeOptions, s: MiningScorers) {
  const source = o.source ?? 'dense';
  if ((source === 'dense' || source === 'both') && !s.dense) throw new Error(`negatives from ${source} need a dense model`);
  if ((source === 'bm25' || source === 'both') && !s.bm25) throw new Error(`negatives from ${source} need the BM25 index`);
  const int = (v: number, name: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const rangeMin = int(o.rangeMin ?? 0, 'rangeMin', 0);
  const rangeMax = int(o.rangeMax ?? 100, 'rangeMax', 1);
  if (rangeMax <= rangeMin) throw new RangeError(`rangeMax (${rangeMax}) must be above rangeMin (${rangeMin})`);
  for (const k of ['absoluteMargin', 'relativeMargin'] as const)
    if (o[k] !== undefined && !(o[k]! >= 0)) throw new RangeError(`${k} must be ≥ 0, got ${o[k]}`);
  return { source, rangeMin, rangeMax, num: int(o.numNegatives ?? 3, 'numNegatives', 1), sampling: o.sampling ?? 'top' };
}

/** Corpus rows by text: products sharing a text (duplicates) are one positive as far as negatives go. */
export function rowsByText(texts: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  texts.forEach((t, r) => {
    const rows = out.get(t);
    if (rows) rows.push(r);
    else out.set(t, [r]);
  });
  return out;
}

/** The first failing filter of a candidate scored `s` against the positive's `p`, if any. */
export function filterReason(s: number, p: number, o: HardNegativeOptions): FilterReason | undefined {
  if (o.maxScore !== undefined && s > o.maxScore) return 'maxScore';
  if (o.minScore !== undefined && s < o.minScore) return 'minScore';
  if (o.absoluteMargin !== undefined && s > p - o.absoluteMargin) return 'absoluteMargin';
  if (o.relativeMargin !== undefined && s > p * (1 - o.relativeMargin)) return 'relativeMargin';
  return undefined;
}

export async function mineHardNegatives(
  rows: readonly TrainRow[],
  corpusTexts: readonly string[],
  scorers: MiningScorers,
  opts: HardNegativeOptions = {},
  exclude?: (row: number) => ReadonlySet<number> | undefined,
): Promise<MinedNegatives> {
  const { source, rangeMin, rangeMax, num, sampling } = checkOptions(opts, scorers);
  const scoredBy = scorers.crossEncoder ? 'cross-encoder' : source === 'bm25' ? 'bm25' : 'dense';
  const rowsOfText = rowsByText(corpusTexts);
  const stats: MiningStats = {
    queries: rows.length,
    candidates: 0,
    excluded: 0,
    outOfRange: 0,
    filtered: { maxScore: 0, minScore: 0, absoluteMargin: 0, relativeMargin: 0 },
    unused: 0,
    negatives: 0,
    queriesWithoutNegatives: 0,
    meanPositiveScore: 0,
    meanNegativeScore: 0,
    scoredBy,
  };
  // deep enough that rangeMax candidates survive the exclusions
  let deepest = 0;
  rows.forEach((r, i) => (deepest = Math.max(deepest, (exclude?.(i)?.size ?? 0) + (rowsOfText.get(r.positive)?.length ?? 0))));
  const depth = Math.min(corpusTexts.length, rangeMax + deepest);
  const denseHits = source !== 'bm25' ? await matMulTopK(scorers.dense!.queries, scorers.dense!.corpus, depth, { signal: opts.signal }) : undefined;
  const rng = new Rng(opts.seed ?? 42);
  const out: TrainRow[] = [];
  const negatives: Int32Array[] = [];
  const examples: MiningExample[] = [];
  let negScoreSum = 0;
  for (let i = 0; i < rows.length; i++) {
    opts.signal?.throwIfAborted();
    const { query, positive } = rows[i]!;
    const lists: ArrayLike<number>[] = [];
    if (denseHits) lists.push(denseHits[i]!.indices);
    // BM25 scores the whole corpus once per query: its ranking, and the candidates' scores when it is the scorer
    const lexical = source !== 'dense' ? scorers.bm25!.scores(query) : undefined;
    if (lexical) lists.push(topRows(lexical, depth, (v) => v > 0).indices);
    const seen = new Set<number>();
    for (let r = 0; r < depth; r++) for (const l of lists) if (r < l.length) seen.add(l[r]!);
    const banned = new Set([...(exclude?.(i) ?? []), ...(rowsOfText.get(positive) ?? [])]);
    const candidates = [...seen].filter((r) => !banned.has(r));
    stats.candidates += seen.size;
    stats.excluded += seen.size - candidates.length;
    // every candidate and the positive, by one scorer
    let scores: number[];
    let positiveScore: number;
    if (scorers.crossEncoder) {
      const s = await scorers.crossEncoder([[query, positive], ...candidates.map((r) => [query, corpusTexts[r]!] as [string, string])]);
      positiveScore = s[0]!;
      scores = candidates.map((_, k) => s[k + 1]!);
    } else if (scoredBy === 'dense') {
      const { queries, positives, corpus } = scorers.dense!;
      const q = queries[i]!;
      scores = candidates.map((r) => dot(q, corpus.data.subarray(r * corpus.dim, (r + 1) * corpus.dim), corpus.dim));
      positiveScore = dot(q, positives[i]!, corpus.dim);
    } else {
      scores = candidates.map((r) => lexical![r]!);
      positiveScore = scorers.bm25!.scoreText(query, positive);
    }
    stats.meanPositiveScore += positiveScore / rows.length;
    const order = candidates.map((r, k) => ({ r, s: scores[k]! })).sort((a, b) => b.s - a.s || a.r - b.r);
    const ranged = order.slice(rangeMin, rangeMax);
    stats.outOfRange += order.length - ranged.length;
    const kept: typeof order = [];
    const filtered: MiningExample['filtered'] = [];
    for (const c of ranged) {
      const reason = filterReason(c.s, positiveScore, opts);
      if (!reason) kept.push(c);
      else {
        stats.filtered[reason]++;
        filtered.push({ text: corpusTexts[c.r]!, score: c.s, reason });
      }
    }
    const chosen = sampling === 'top' ? kept.slice(0, num) : sample(kept, num, rng);
    stats.unused += kept.length - chosen.length;
    stats.negatives += chosen.length;
    if (!chosen.length) stats.queriesWithoutNegatives++;
    negatives.push(Int32Array.from(chosen, (c) => c.r));
    for (const c of chosen) {
      out.push({ query, positive, negative: corpusTexts[c.r]! });
      negScoreSum += c.s;
    }
    if (examples.length < (opts.examples ?? 5)) {
      const text = (c: { r: number; s: number }) => ({ text: corpusTexts[c.r]!, score: c.s });
      examples.push({ query, positive: { text: positive, score: positiveScore }, kept: chosen.map(text), filtered });
    }
  }
  stats.meanNegativeScore = stats.negatives ? negScoreSum / stats.negatives : 0;
  return { rows: out, negatives, stats, examples };
}

/** `n` of `xs` without replacement, in their ranking order (a partial Fisher–Yates over indices). */
function sample<T>(xs: readonly T[], n: number, rng: Rng): T[] {
  const idx = xs.map((_, i) => i);
  for (let i = 0; i < Math.min(n, idx.length); i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => xs[i]!);
}
