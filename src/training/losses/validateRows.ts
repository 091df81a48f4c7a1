import { TrainRowsError } from '../data/trainRows.ts';
import type { Loss, LossColumn } from './loss.ts';

type DeclaredLoss = Pick<Loss<unknown, unknown>, 'name' | 'columns' | 'rowsHint'>;

function holds(column: LossColumn, v: unknown): boolean {
  if (column.type === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === 'string' && v.trim() !== '';
}

/**
 * Checks rows built in code or parsed from a file against the columns a loss declares: every required
 * column on every row, and each optional one on all rows or none (sentence-transformers batches columns,
 * so a column cannot be missing from some rows of a batch). Errors name `source` and the 1-based row.
 */
export function validateLossRows(loss: DeclaredLoss, rows: readonly unknown[], source = 'training data'): void {
  if (rows.length === 0) throw new TrainRowsError(`${source}: no training rows`);
  const hint =
    loss.rowsHint ??
    `${loss.name} needs ${loss.columns
      .filter((c) => !c.optional)
      .map((c) => c.name)
      .join(', ')}`;
  const value = (i: number, c: LossColumn) => (rows[i] as Record<string, unknown>)[c.name];
  const present = (i: number, c: LossColumn) => value(i, c) !== undefined && value(i, c) !== null;
  for (const c of loss.columns.filter((c) => c.optional)) {
    const withIt = rows.filter((_, i) => present(i, c)).length;
    if (withIt !== 0 && withIt !== rows.length) {
      const i = rows.findIndex((_, i) => present(i, c) !== present(0, c));
      throw new TrainRowsError(
        `${source}: ${withIt} of ${rows.length} rows have a "${c.name}"; ${loss.name} needs it on all rows or none (row ${i + 1} differs from row 1)`,
      );
    }
  }
  rows.forEach((_, i) => {
    for (const c of loss.columns) {
      if (c.optional && !present(i, c)) continue;
      if (!holds(c, value(i, c))) throw new TrainRowsError(`${source}: row ${i + 1} has no "${c.name}" (${hint})`);
    }
  });
}
