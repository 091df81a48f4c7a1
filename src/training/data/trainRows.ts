/**
 * Training rows: JSONL with one example per line, {"query", "positive"[, "negative"][, "margin"]}.
 * Columns follow sentence-transformers' dataset layout: (anchor, positive[, negative]) for
 * MultipleNegativesRankingLoss and (query, positive, negative, label) for MarginMSELoss.
 */

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

/** Parses JSONL training rows. Errors name `source` and the 1-based line; blank lines are skipped. */
export function parseTrainRows(text: string, source: string): TrainRow[] {
  const rows: TrainRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new TrainRowsError(`${where}: malformed JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new TrainRowsError(`${where}: expected a JSON object like {"query": ..., "positive": ...}`);
    }
    const o = obj as Record<string, unknown>;
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
    rows.push(row);
  }
  if (rows.length === 0) throw new TrainRowsError(`${source}: no training rows (the file is empty)`);
  return rows;
}
