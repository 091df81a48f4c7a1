/**
 * Supervised training pairs from relevance judgments (Quepid CSV, parsed by judgments.ts).
 *
 * - Positives: every judged product with rating ≥ threshold that is in the corpus.
 * - Hard negatives: the top mined products that are *not judged relevant* (mining excludes the relevant set).
 *   Products judged below the threshold are allowed: a rating-0/1 product the bi-encoder ranks high is
 *   exactly the confusion the negatives should fix. Candidates sharing a positive's text are skipped.
 * - Rows follow sentence-transformers' mine_hard_negatives "triplet" output: one (query, positive, negative)
 *   row per positive and negative, so each row has one negative column. mnrl needs that column on all rows or
 *   none: a query left with fewer than N negatives keeps the ones it has (fewer rows), and a query left with
 *   none is dropped and reported instead of emitting rows without a negative.
 */
import { Rng } from '../random/rng.ts';
import { preview } from './corpus.ts';
import { judgmentKey, type Judgments } from './judgments.ts';
import type { TrainRow } from './trainRows.ts';

export interface JudgedQuery {
  text: string;
  /** corpus rows rated ≥ threshold, in judgment order */
  positives: number[];
  /** corpus rows judged relevant (excluded from mining) */
  relevant: Set<number>;
}

export interface UnknownDoc {
  query: string;
  docid: string;
  line?: number;
}

export interface JudgedQueries {
  queries: JudgedQuery[];
  /** judged docids that are not in the corpus */
  unknown: UnknownDoc[];
  /** queries with no relevant product in the corpus (they produce no rows) */
  withoutPositive: string[];
}

export class SupervisedError extends Error {
  override name = 'SupervisedError';
}

/** Resolves judged docids against the corpus. Throws when no judged docid at all is in the corpus. */
export function judgedQueries(
  judgments: Judgments,
  corpusIds: readonly string[],
  opts: { threshold?: number; lines?: ReadonlyMap<string, number>; source?: string } = {},
): JudgedQueries {
  if (!corpusIds.length) throw new SupervisedError('the corpus is empty; nothing to pair the judgments with');
  const threshold = opts.threshold ?? 2;
  const row = new Map(corpusIds.map((id, i) => [id, i]));
  const out: JudgedQueries = { queries: [], unknown: [], withoutPositive: [] };
  let known = 0;
  for (const [text, judged] of judgments) {
    const q: JudgedQuery = { text, positives: [], relevant: new Set() };
    for (const [docid, rating] of judged) {
      const r = row.get(docid);
      if (r === undefined) {
        out.unknown.push({ query: text, docid, line: opts.lines?.get(judgmentKey(text, docid)) });
        continue;
      }
      known++;
      if (rating >= threshold) {
        q.positives.push(r);
        q.relevant.add(r);
      }
    }
    if (q.positives.length) out.queries.push(q);
    else out.withoutPositive.push(text);
  }
  if (known === 0 && out.unknown.length) {
    throw new SupervisedError(
      `${opts.source ?? 'judgments'}: none of the ${out.unknown.length} judged docids is in the corpus (${preview(out.unknown.map(describeUnknown))}); wrong corpus file?`,
    );
  }
  if (!out.queries.length)
    throw new SupervisedError(`${opts.source ?? 'judgments'}: no query has a product rated ${threshold} or higher in the corpus`);
  return out;
}

export function describeUnknown(u: UnknownDoc): string {
  return `${u.line !== undefined ? `line ${u.line}: ` : ''}${u.docid} (${JSON.stringify(u.query)})`;
}

export interface SupervisedStats {
  rows: number;
  queries: number;
  /** queries dropped because no negative was available while hardNegatives > 0 */
  droppedNoNegative: string[];
  /** queries that got fewer than hardNegatives negatives */
  shortOfNegatives: number;
}

/**
 * Rows for mnrl. `candidates[i]` are query i's mined rows (relevant ones already excluded), best first;
 * the first `hardNegatives` usable ones become its negatives.
 */
export function supervisedRows(
  queries: readonly JudgedQuery[],
  texts: readonly string[],
  opts: { hardNegatives?: number; candidates?: readonly ArrayLike<number>[] } = {},
): { rows: TrainRow[]; stats: SupervisedStats } {
  const n = opts.hardNegatives ?? 0;
  if (n > 0 && opts.candidates?.length !== queries.length)
    throw new RangeError(`hardNegatives needs mined candidates for each of the ${queries.length} queries`);
  const rows: TrainRow[] = [];
  const stats: SupervisedStats = { rows: 0, queries: 0, droppedNoNegative: [], shortOfNegatives: 0 };
  queries.forEach((q, i) => {
    const posTexts = new Set(q.positives.map((p) => texts[p]!));
    const negs: string[] = [];
    if (n > 0) {
      const cands = opts.candidates![i]!;
      for (let c = 0; c < cands.length && negs.length < n; c++) {
        const r = cands[c]!;
        if (!q.relevant.has(r) && !posTexts.has(texts[r]!)) negs.push(texts[r]!);
      }
      if (!negs.length) return void stats.droppedNoNegative.push(q.text);
      if (negs.length < n) stats.shortOfNegatives++;
    }
    stats.queries++;
    for (const p of q.positives) {
      if (!negs.length) rows.push({ query: q.text, positive: texts[p]! });
      for (const neg of negs) rows.push({ query: q.text, positive: texts[p]!, negative: neg });
    }
  });
  stats.rows = rows.length;
  return { rows, stats };
}

/**
 * Seeded train/validation split by query: every query lands on exactly one side. Queries are de-duplicated
 * and sorted before shuffling so the split depends on the set of queries and the seed, not on file order.
 * round(fraction × n) validation queries, but at least one per side when fraction is in (0, 1) and n ≥ 2.
 */
export function splitByQuery(queries: readonly string[], validationFraction: number, seed = 42): { train: string[]; validation: string[] } {
  if (!(validationFraction >= 0 && validationFraction <= 1)) throw new RangeError(`validation fraction must be in [0, 1], got ${validationFraction}`);
  const unique = [...new Set(queries)].sort();
  let nVal = Math.round(validationFraction * unique.length);
  if (validationFraction > 0 && validationFraction < 1 && unique.length >= 2) nVal = Math.min(unique.length - 1, Math.max(1, nVal));
  const order = new Rng(seed).permutation(unique.length);
  const val = new Set(order.slice(0, nVal));
  return { train: unique.filter((_, i) => !val.has(i)), validation: unique.filter((_, i) => val.has(i)) };
}
