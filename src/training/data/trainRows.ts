/**
 * Training rows: JSONL with one example per line, {"query", "positive"[, "negative"][, "margin"]}.
 * Columns follow sentence-transformers' dataset layout: (anchor, positive[, negative]) for
 * MultipleNegativesRankingLoss and (query, positive, negative, label) for MarginMSELoss.
 */
import { parseJsonlRows } from './jsonlRows.ts';

export interface TrainRow {
  query: string;
  positive: string;
  negative?: string;
  /** teacher margin score(query, positive) - score(query, negative), for margin-mse */
  margin?: number;
}

export type TrainColumn = 'query' | 'positive' | 'negative' | 'margin';

export class TrainRowsError extends Error {
  override name = 'TrainRowsError';
}

function textField(obj: Record<string, unknown>, field: string, where: string, required: boolean): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) {
    if (required) throw new TrainRowsError(`${where}: missing field "${field}"`);
    return undefined;
  }
  if (typeof v !== 'string') throw new TrainRowsError(`${where}: field "${field}" must be a string, got ${typeof v}`);
  if (v.trim() === '') throw new TrainRowsError(`${where}: field "${field}" is empty`);
  return v;
}

function trainRow(o: Record<string, unknown>, where: string): TrainRow {
  const row: TrainRow = {
    query: textField(o, 'query', where, true)!,
    positive: textField(o, 'positive', where, true)!,
  };
  const negative = textField(o, 'negative', where, false);
  if (negative !== undefined) row.negative = negative;
  if (o.margin !== undefined && o.margin !== null) {
    // Numeric strings are accepted because CSV-converted data often carries them.
    const m = typeof o.margin === 'string' && o.margin.trim() !== '' ? Number(o.margin) : o.margin;
    if (typeof m !== 'number' || !Number.isFinite(m)) {
      throw new TrainRowsError(`${where}: field "margin" must be a finite number, got ${JSON.stringify(o.margin)}`);
    }
    row.margin = m;
  }
  return row;
}

/** Parses JSONL training rows. Errors name `source` and the 1-based line; blank lines are skipped. */
export function parseTrainRows(text: string, source: string): TrainRow[] {
  const fail = (message: string) => new TrainRowsError(message);
  return parseJsonlRows(text, source, { fail, example: '{"query": ..., "positive": ...}', toRow: trainRow });
}
