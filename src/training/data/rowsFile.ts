/**
 * Writes training rows as the JSONL `ftlab train` reads (trainRows.ts parseTrainRows): one object per line,
 * keys in column order query, positive[, negative][, margin]. Environment-free; the CLI writes the string.
 */
import type { TrainRow } from './trainRows.ts';

export function formatTrainRow(r: TrainRow): string {
  const o: TrainRow = { query: r.query, positive: r.positive };
  if (r.negative !== undefined) o.negative = r.negative;
  if (r.margin !== undefined) {
    if (!Number.isFinite(r.margin)) throw new RangeError(`row for query ${JSON.stringify(r.query)} has a non-finite margin ${r.margin}`);
    o.margin = r.margin;
  }
  return JSON.stringify(o);
}

/** JSONL text with a trailing newline ('' for no rows). */
export function formatTrainRows(rows: readonly TrainRow[]): string {
  return rows.length ? `${rows.map(formatTrainRow).join('\n')}\n` : '';
}
