/**
 * The JSON Lines reading the row formats share (training rows, CLIP rows): one object per line, blank lines
 * skipped, every error naming the file and the 1-based line.
 */

export interface JsonlRowsFormat<R> {
  /** the format's error (TrainRowsError, ClipRowsError) */
  fail: (message: string) => Error;
  /** the object a line should hold, for the error when it holds something else: {"text": ..., "image": ...} */
  example: string;
  /** one row from a line's object; throws naming `where` */
  toRow: (o: Record<string, unknown>, where: string) => R;
}

export function parseJsonlRows<R>(text: string, source: string, format: JsonlRowsFormat<R>): R[] {
  const rows: R[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${source}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw format.fail(`${where}: malformed JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw format.fail(`${where}: expected a JSON object like ${format.example}`);
    rows.push(format.toRow(obj as Record<string, unknown>, where));
  });
  if (!rows.length) throw format.fail(`${source}: no training rows (the file is empty)`);
  return rows;
}
