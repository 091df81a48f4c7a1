/**
 * Relevance judgments as CSV: `query,docid,rating` (the Chorus / Quepid single-rating layout), ratings 0–3.
 * When a `final_rating` column is present (a consolidated rating next to per-rater columns) it is used
 * instead of `rating`. Quepid's book export has one column per rater and no consolidated rating; such files
 * get an error that says what is missing rather than a guess at how to combine raters.
 */
import Papa from 'papaparse';
import { normalizeQuery } from './queries.ts';

/** query text -> (docid -> rating); docids absent from a query's map are unjudged (rating 0). */
export type Judgments = Map<string, Map<string, number>>;

export interface ParsedJudgments {
  judgments: Judgments;
  warnings: string[];
  /** rows read (after skipping blank lines) */
  rows: number;
  ratingColumn: 'rating' | 'final_rating';
  /** 1-based line of each (query, docid) pair, keyed by judgmentKey(query, docid) (last occurrence) */
  lines: Map<string, number>;
}

export const judgmentKey = (query: string, docid: string) => `${query}\u0000${docid}`;

export class JudgmentsError extends Error {
  override name = 'JudgmentsError';
}

export const maxRating = 3;

export function parseJudgments(csvText: string, source: string): ParsedJudgments {
  const text = csvText.charCodeAt(0) === 0xfeff ? csvText.slice(1) : csvText;
  const rows: { cells: string[]; line: number }[] = [];
  // Track physical line numbers ourselves: papaparse reports row indices, which drift from lines when a
  // quoted query contains a newline.
  let line = 1;
  let consumed = 0;
  // Papaparse's delimiter sniffing misfires on short files; commas unless the header is tab-separated.
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  Papa.parse<string[]>(text, {
    header: false,
    delimiter,
    skipEmptyLines: false,
    step: (res) => {
      const end = res.meta.cursor;
      const startLine = line;
      for (let i = consumed; i < end; i++) if (text.charCodeAt(i) === 10) line++;
      consumed = end;
      const cells = res.data;
      if (res.errors.length) {
        const err = res.errors[0]!;
        throw new JudgmentsError(`${source}: line ${startLine}: malformed CSV (${err.message})`);
      }
      if (cells.length === 1 && cells[0]!.trim() === '') return;
      rows.push({ cells, line: startLine });
    },
  });
  if (!rows.length) throw new JudgmentsError(`${source}: empty file; expected a header query,docid,rating`);

  const header = rows[0]!.cells.map((h) => h.trim());
  const col = (name: string) => header.findIndex((h) => h.toLowerCase() === name);
  const qi = col('query');
  const di = col('docid');
  const fi = col('final_rating');
  const ri = fi >= 0 ? fi : col('rating');
  if (qi < 0 || di < 0 || ri < 0) {
    const missing = [qi < 0 ? 'query' : '', di < 0 ? 'docid' : '', ri < 0 ? 'rating (or final_rating)' : ''].filter(Boolean);
    throw new JudgmentsError(
      `${source}: line 1: the header has columns ${header.map((h) => JSON.stringify(h)).join(', ')}; ` +
        `needed query, docid and rating (or final_rating); missing ${missing.join(', ')}`,
    );
  }
  const ratingColumn = fi >= 0 ? 'final_rating' : 'rating';

  const judgments: Judgments = new Map();
  const warnings: string[] = [];
  const dupes: string[] = [];
  const lines = new Map<string, number>();
  for (const { cells, line: ln } of rows.slice(1)) {
    if (cells.length !== header.length) {
      throw new JudgmentsError(`${source}: line ${ln}: ${cells.length} fields, but the header has ${header.length}`);
    }
    const query = cells[qi]!.trim();
    const docid = cells[di]!.trim();
    const rawRating = cells[ri]!.trim();
    if (!query) throw new JudgmentsError(`${source}: line ${ln}: field "query" is empty`);
    if (!docid) throw new JudgmentsError(`${source}: line ${ln}: field "docid" is empty`);
    const rating = rawRating === '' ? NaN : Number(rawRating);
    if (!Number.isFinite(rating)) {
      throw new JudgmentsError(
        `${source}: line ${ln}: field "${ratingColumn}" is ${JSON.stringify(rawRating)}, not a number (expected 0–${maxRating})`,
      );
    }
    if (rating < 0 || rating > maxRating) {
      throw new JudgmentsError(`${source}: line ${ln}: field "${ratingColumn}" is ${rawRating}, outside 0–${maxRating}`);
    }
    let perQuery = judgments.get(query);
    if (!perQuery) judgments.set(query, (perQuery = new Map()));
    if (perQuery.has(docid)) dupes.push(`${query} / ${docid} (line ${ln})`);
    perQuery.set(docid, rating);
    lines.set(judgmentKey(query, docid), ln);
  }
  if (dupes.length) {
    warnings.push(
      `${source}: ${dupes.length} duplicate query/docid pair(s); the last rating wins: ${dupes.slice(0, 5).join('; ')}${dupes.length > 5 ? '; ...' : ''}`,
    );
  }
  if (!judgments.size) warnings.push(`${source}: no judgments after the header`);
  return { judgments, warnings, rows: rows.length - 1, ratingColumn, lines };
}

/** Number of judged docs per query with rating >= threshold. */
export function countRelevant(judged: ReadonlyMap<string, number>, threshold: number): number {
  let n = 0;
  for (const r of judged.values()) if (r >= threshold) n++;
  return n;
}

/**
 * The corpus rows judged relevant (rating ≥ threshold) for a query, matched on the query with whitespace
 * collapsed and case folded: what mining must never turn into the query's negatives. Each call returns a
 * fresh set the caller may add to (a query's own source product).
 */
export function relevantRowsByQuery(
  judgments: Judgments | undefined,
  rowOf: ReadonlyMap<string, number>,
  threshold = 2,
): (query: string) => Set<number> {
  const key = (q: string) => normalizeQuery(q).toLowerCase();
  const relevant = new Map<string, Set<number>>();
  for (const [q, judged] of judgments ?? []) {
    const set = relevant.get(key(q)) ?? new Set<number>();
    for (const [id, rating] of judged) if (rating >= threshold && rowOf.has(id)) set.add(rowOf.get(id)!);
    relevant.set(key(q), set);
  }
  return (q) => new Set(relevant.get(key(q)) ?? []);
}
