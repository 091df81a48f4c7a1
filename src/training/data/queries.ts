/**
 * Search queries for the data step: imported from a file or generated (doc2query.ts, offlineQueries.ts).
 * Three import formats:
 *   - JSONL as in the kata's `generated-queries.jsonl`: {"text": ...} (or "query"), optionally naming the product it
 *     was written for in "sourceDocId", "doc_id", "docid", "source_doc_id" or "product_id";
 *   - a query-log CSV `query[,count]` (header optional; with a header the columns are found by name);
 *   - plain text, one query per line.
 * Queries are normalised (trim, collapse whitespace) and de-duplicated case-insensitively: a search log holds
 * "Laptop" and "laptop " as one query, and repeating it would only weight it twice in training.
 */
import Papa from 'papaparse';

export interface Query {
  text: string;
  /** the product the query was written for (generated queries); mining excludes it from negatives */
  sourceDocId?: string;
  /** how often the query occurs in a query log (summed over duplicates) */
  count?: number;
}

export interface ParsedQueries {
  queries: Query[];
  /** counted, not per line: "12 empty lines skipped", "3 duplicate queries removed ..." */
  warnings: string[];
}

export class QueryError extends Error {
  override name = 'QueryError';
}

export type QueryFormat = 'jsonl' | 'csv' | 'text';

const sourceFields = ['sourceDocId', 'source_doc_id', 'doc_id', 'docid', 'product_id'] as const;
const queryHeaders = new Set(['query', 'queries', 'text', 'q', 'search_term', 'searchterm', 'keyword', 'keywords', 'term']);
const countHeaders = new Set(['count', 'frequency', 'freq', 'searches', 'hits', 'n']);

export function normalizeQuery(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function detectQueryFormat(name: string, text: string): QueryFormat {
  const lower = name.toLowerCase();
  if (/\.(jsonl|ndjson)$/.test(lower)) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(txt|text)$/.test(lower)) return 'text';
  const first = text.split(/\r?\n/).find((l) => l.trim());
  return first?.trimStart().startsWith('{') ? 'jsonl' : 'text';
}

/**
 * Case-insensitive de-duplication keeping the first occurrence (and its casing). Generated queries are keyed by
 * (text, sourceDocId): "toner cartridge" written for two products is two training pairs, not a duplicate.
 * Counts of dropped duplicates are added to the kept query.
 */
export function dedupeQueries(queries: readonly Query[]): { queries: Query[]; duplicates: number; examples: string[] } {
  const kept = new Map<string, Query>();
  let duplicates = 0;
  const examples: string[] = [];
  for (const q of queries) {
    const key = `${q.text.toLowerCase()}\u0000${q.sourceDocId ?? ''}`;
    const first = kept.get(key);
    if (!first) {
      kept.set(key, { ...q });
      continue;
    }
    duplicates++;
    if (examples.length < 5) examples.push(q.text);
    if (q.count !== undefined) first.count = (first.count ?? 0) + q.count;
  }
  return { queries: [...kept.values()], duplicates, examples };
}

function parseJsonl(name: string, lines: string[], out: Query[], empty: { n: number }): void {
  lines.forEach((raw, i) => {
    const where = `${name}: line ${i + 1}`;
    if (!raw.trim()) return void empty.n++;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new QueryError(`${where}: malformed JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new QueryError(`${where}: expected an object like {"text": "..."}`);
    const obj = row as Record<string, unknown>;
    const field = obj.text !== undefined ? 'text' : obj.query !== undefined ? 'query' : undefined;
    if (!field) throw new QueryError(`${where}: missing field "text"`);
    if (typeof obj[field] !== 'string') throw new QueryError(`${where}: field "${field}" must be a string, found ${JSON.stringify(obj[field])}`);
    const text = normalizeQuery(obj[field] as string);
    if (!text) return void empty.n++;
    const q: Query = { text };
    for (const f of sourceFields) {
      const v = obj[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v))) {
        throw new QueryError(`${where}: field "${f}" must be a product id (string or integer), found ${JSON.stringify(v)}`);
      }
      q.sourceDocId = String(v);
      break;
    }
    if (obj.count !== undefined) q.count = countValue(obj.count, where);
    out.push(q);
  });
}

function countValue(v: unknown, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new QueryError(`${where}: field "count" must be a non-negative number, found ${JSON.stringify(v)}`);
  return n;
}

function parseCsv(name: string, text: string, out: Query[], empty: { n: number }): void {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: false });
  const bad = parsed.errors.find((e) => e.type === 'Quotes');
  if (bad) throw new QueryError(`${name}: line ${(bad.row ?? 0) + 1}: ${bad.message}`);
  const rows = parsed.data;
  // Line numbers follow the rows, which is exact unless a quoted field spans lines.
  let start = 0;
  let queryCol = 0;
  let countCol: number | undefined = 1;
  const head = rows.findIndex((r) => r.some((c) => c.trim()));
  if (head >= 0) {
    const cells = rows[head]!.map((c) => c.trim().toLowerCase());
    const q = cells.findIndex((c) => queryHeaders.has(c));
    if (q >= 0) {
      queryCol = q;
      const c = cells.findIndex((c, i) => i !== q && countHeaders.has(c));
      countCol = c >= 0 ? c : undefined;
      start = head + 1;
    }
  }
  for (let i = start; i < rows.length; i++) {
    const row = rows[i]!;
    const where = `${name}: line ${i + 1}`;
    const text = normalizeQuery(row[queryCol] ?? '');
    if (!text) {
      empty.n++;
      continue;
    }
    const q: Query = { text };
    const c = countCol !== undefined ? row[countCol]?.trim() : undefined;
    if (c) q.count = countValue(c, where);
    out.push(q);
  }
}

/** Parses a query file; `name` picks the format (.jsonl, .csv, else plain text) and prefixes every error. */
export function parseQueries(name: string, text: string, format: QueryFormat = detectQueryFormat(name, text)): ParsedQueries {
  const all: Query[] = [];
  const empty = { n: 0 };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (format === 'jsonl') parseJsonl(name, lines, all, empty);
  else if (format === 'csv') parseCsv(name, lines.join('\n'), all, empty);
  else
    for (const line of lines) {
      const t = normalizeQuery(line);
      if (t) all.push({ text: t });
      else empty.n++;
    }
  const { queries, duplicates, examples } = dedupeQueries(all);
  const warnings: string[] = [];
  if (empty.n) warnings.push(`${name}: ${empty.n} empty line(s) skipped`);
  if (duplicates)
    warnings.push(
      `${name}: ${duplicates} duplicate quer${duplicates === 1 ? 'y' : 'ies'} removed (case-insensitive), e.g. ${examples.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  if (!queries.length) throw new QueryError(`${name}: no queries (the file has no non-empty ${format === 'jsonl' ? 'rows' : 'lines'})`);
  return { queries, warnings };
}

/** JSONL, one {"text", "sourceDocId"?, "count"?} per line: what `ftlab queries` writes and parseQueries reads back. */
export function formatQueriesJsonl(queries: readonly Query[]): string {
  return (
    queries
      .map((q) => JSON.stringify(q.sourceDocId === undefined ? { text: q.text, ...(q.count !== undefined && { count: q.count }) } : q))
      .join('\n') + (queries.length ? '\n' : '')
  );
}
