/**
 * Training rows from mined candidates.
 *
 * - GPL (query with a source product): positive = source, one row per negative drawn from the mined
 *   candidates, margin = CE(q, pos) − CE(q, neg), the MarginMSE label of UKPLab/gpl.
 * - Pairwise, Finetuner style (query without a source): the mined top candidates are scored by the
 *   cross-encoder and `numRelations` candidate pairs (d_i, d_j) become rows with margin CE_i − CE_j.
 *   Pairs are drawn uniformly without replacement from all unordered pairs of candidates with different
 *   texts (seeded per query), and oriented so the higher-scored candidate is the "positive" (margin ≥ 0).
 * - GenQ (no cross-encoder): MNRL rows (query, source[, one mined hard negative drawn at random]).
 *
 * A candidate whose text equals the positive's is never used as its negative: the model cannot tell them
 * apart, so the row would only teach noise (Chorus has products that share title and supplier).
 * Cross-encoder calls are batched: all pairs of a chunk of queries are scored in one `score` call.
 */
import type { CrossEncoder } from '../models/crossEncoder.ts';
import { Rng } from '../random/rng.ts';
import type { TrainRow } from './trainRows.ts';

export interface LabelQuery {
  text: string;
  /** corpus row of the product the query was generated from */
  source?: number;
  /** mined corpus rows, best first (mining.ts), the source already excluded */
  candidates: ArrayLike<number>;
}

export interface LabelOptions {
  /** negatives per GPL query, drawn at random from its candidates (rank order kept); default all of them */
  negativesPerQuery?: number;
  /** rows per query without a source; default 10 */
  numRelations?: number;
  seed?: number;
  /** queries whose pairs go to the cross-encoder together; default 64 */
  chunkQueries?: number;
  /** cross-encoder batch size */
  batchSize?: number;
  signal?: AbortSignal;
  /** counted in cross-encoder pairs */
  onProgress?: (done: number, total: number) => void;
}

export interface LabelStats {
  rows: number;
  /** queries that produced GPL (source) rows */
  sourceQueries: number;
  /** queries that produced pairwise (no source) rows */
  pairwiseQueries: number;
  /** queries that produced no row, with why */
  skipped: { noCandidates: number; noSource: number };
  pairsScored: number;
}

/** Per-query generator, so a query's draws do not depend on how many queries came before it. */
export function queryRng(seed: number, queryIndex: number): Rng {
  return new Rng((Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + Math.imul(queryIndex + 1, 0x85ebca6b)) >>> 0);
}

/** Candidates usable as negatives of `positive`: not the positive and not the same text. */
export function negativePool(candidates: ArrayLike<number>, positive: number, texts: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c !== positive && texts[c] !== texts[positive]) out.push(c);
  }
  return out;
}

/** n items of `pool` drawn without replacement, in pool order (all of them when n is undefined or ≥ size). */
export function sampleInOrder<T>(pool: readonly T[], n: number | undefined, rng: Rng): T[] {
  if (n === undefined || n >= pool.length) return [...pool];
  const keep = rng
    .permutation(pool.length)
    .slice(0, n)
    .sort((a, b) => a - b);
  return keep.map((i) => pool[i]!);
}

interface Plan {
  q: LabelQuery;
  /** GPL: [source, ...negatives]; pairwise: distinct candidates to score */
  docs: number[];
  /** pairwise: index pairs into docs */
  pairs?: [number, number][];
}

function planQuery(q: LabelQuery, i: number, texts: readonly string[], opts: LabelOptions): Plan | 'noCandidates' {
  const rng = queryRng(opts.seed ?? 42, i);
  if (q.source !== undefined) {
    const negs = sampleInOrder(negativePool(q.candidates, q.source, texts), opts.negativesPerQuery, rng);
    return negs.length ? { q, docs: [q.source, ...negs] } : 'noCandidates';
  }
  const cands = Array.from(q.candidates);
  const all: [number, number][] = [];
  for (let a = 0; a < cands.length; a++) for (let b = a + 1; b < cands.length; b++) if (texts[cands[a]!] !== texts[cands[b]!]) all.push([a, b]);
  const chosen = sampleInOrder(all, opts.numRelations ?? 10, rng);
  if (!chosen.length) return 'noCandidates';
  // Score only the candidates that appear in a chosen pair.
  const used = [...new Set(chosen.flat())].sort((a, b) => a - b);
  const slot = new Map(used.map((c, k) => [c, k]));
  return { q, docs: used.map((c) => cands[c]!), pairs: chosen.map(([a, b]) => [slot.get(a)!, slot.get(b)!]) };
}

/** GPL and pairwise MarginMSE rows, scored by `crossEncoder`. */
export async function marginRows(
  queries: readonly LabelQuery[],
  texts: readonly string[],
  crossEncoder: Pick<CrossEncoder, 'score'>,
  opts: LabelOptions = {},
): Promise<{ rows: TrainRow[]; stats: LabelStats }> {
  if (opts.numRelations !== undefined && (!Number.isInteger(opts.numRelations) || opts.numRelations < 1))
    throw new RangeError(`numRelations must be a positive integer, got ${opts.numRelations}`);
  if (opts.negativesPerQuery !== undefined && (!Number.isInteger(opts.negativesPerQuery) || opts.negativesPerQuery < 1))
    throw new RangeError(`negativesPerQuery must be a positive integer, got ${opts.negativesPerQuery}`);
  const stats: LabelStats = { rows: 0, sourceQueries: 0, pairwiseQueries: 0, skipped: { noCandidates: 0, noSource: 0 }, pairsScored: 0 };
  const plans: Plan[] = [];
  queries.forEach((q, i) => {
    const p = planQuery(q, i, texts, opts);
    if (p === 'noCandidates') stats.skipped.noCandidates++;
    else plans.push(p);
  });
  const totalPairs = plans.reduce((n, p) => n + p.docs.length, 0);
  const rows: TrainRow[] = [];
  const chunk = Math.max(1, opts.chunkQueries ?? 64);
  for (let p0 = 0; p0 < plans.length; p0 += chunk) {
    opts.signal?.throwIfAborted();
    const part = plans.slice(p0, p0 + chunk);
    const pairs: [string, string][] = part.flatMap((p) => p.docs.map((d) => [p.q.text, texts[d]!] as [string, string]));
    const scores = await crossEncoder.score(pairs, { batchSize: opts.batchSize, signal: opts.signal });
    if (scores.length !== pairs.length) throw new Error(`cross-encoder returned ${scores.length} scores for ${pairs.length} pairs`);
    let off = 0;
    for (const p of part) {
      const s = (k: number) => scores[off + k]!;
      if (!p.pairs) {
        stats.sourceQueries++;
        for (let k = 1; k < p.docs.length; k++)
          rows.push({ query: p.q.text, positive: texts[p.docs[0]!]!, negative: texts[p.docs[k]!]!, margin: s(0) - s(k) });
      } else {
        stats.pairwiseQueries++;
        for (const [a, b] of p.pairs) {
          const [hi, lo] = s(b) > s(a) ? [b, a] : [a, b];
          rows.push({ query: p.q.text, positive: texts[p.docs[hi]!]!, negative: texts[p.docs[lo]!]!, margin: s(hi) - s(lo) });
        }
      }
      off += p.docs.length;
    }
    stats.pairsScored += pairs.length;
    opts.onProgress?.(stats.pairsScored, totalPairs);
  }
  stats.rows = rows.length;
  return { rows, stats };
}

/**
 * GenQ rows for MNRL. With `hardNegative`, each row carries one negative drawn at random (seeded) from the
 * query's candidates; mnrl needs the column on all rows or none, so a query with no usable candidate is
 * skipped and counted. Queries without a source product have no positive and are skipped too.
 */
export function genqRows(
  queries: readonly LabelQuery[],
  texts: readonly string[],
  opts: { hardNegative?: boolean; seed?: number } = {},
): { rows: TrainRow[]; stats: LabelStats } {
  const stats: LabelStats = { rows: 0, sourceQueries: 0, pairwiseQueries: 0, skipped: { noCandidates: 0, noSource: 0 }, pairsScored: 0 };
  const rows: TrainRow[] = [];
  queries.forEach((q, i) => {
    if (q.source === undefined) return void stats.skipped.noSource++;
    const row: TrainRow = { query: q.text, positive: texts[q.source]! };
    if (opts.hardNegative) {
      const pool = negativePool(q.candidates, q.source, texts);
      if (!pool.length) return void stats.skipped.noCandidates++;
      row.negative = texts[pool[queryRng(opts.seed ?? 42, i).int(pool.length)]!]!;
    }
    stats.sourceQueries++;
    rows.push(row);
  });
  stats.rows = rows.length;
  return { rows, stats };
}
