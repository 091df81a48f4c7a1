/**
 * CLIP training rows: JSONL with one (text, image) pair per line, {"text": "...", "image": "<image key>"},
 * the image key being a product id that the image provider resolves to a file or URL. Two sources:
 * - unsupervised: each catalogue product's own text paired with its own image (what CLIP fine-tunes on
 *   when there are no judgments: in-domain captions for in-domain pictures);
 * - supervised: each judged query paired with the image of every product rated ≥ minRating, split by
 *   query so no validation query is ever trained on.
 */
import { preview, type Product } from './corpus.ts';
import type { Judgments } from './judgments.ts';
import { parseJsonlRows } from './jsonlRows.ts';
import { splitByQuery } from './supervised.ts';
import { compileTemplate } from './textTemplate.ts';

export interface ClipRow {
  text: string;
  /** image key: the product id */
  image: string;
}

/** Product text for CLIP captions: title, brand and product type read like a short alt text. */
export const defaultClipTextTemplate = '{title} {supplier} {attr_t_product_type}';

export class ClipRowsError extends Error {
  override name = 'ClipRowsError';
}

function stringField(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (v === undefined || v === null) throw new ClipRowsError(`${where}: missing field "${field}"`);
  // integer product ids are common in catalogues; accept them as image keys like the corpus loader does
  if (field === 'image' && typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string') throw new ClipRowsError(`${where}: field "${field}" must be a string, got ${typeof v}`);
  if (v.trim() === '') throw new ClipRowsError(`${where}: field "${field}" is empty`);
  return v;
}

/** Parses JSONL CLIP rows; errors name `source` and the 1-based line, blank lines are skipped. */
export function parseClipRows(text: string, source: string): ClipRow[] {
  return parseJsonlRows(text, source, {
    fail: (message) => new ClipRowsError(message),
    example: '{"text": ..., "image": ...}',
    toRow: (o, where) => ({ text: stringField(o, 'text', where), image: stringField(o, 'image', where) }),
  });
}

/** Throws naming the rows whose image key the provider does not know (a typo or the wrong folder). */
export function checkClipRowImages(rows: readonly ClipRow[], hasImage: (key: string) => boolean, source: string, where: string): void {
  const missing = rows.flatMap((r, i) => (hasImage(r.image) ? [] : [`row ${i + 1} "${r.image}"`]));
  if (missing.length) {
    throw new ClipRowsError(`${source}: ${missing.length} of ${rows.length} rows name images that are not in ${where}: ${preview(missing)}`);
  }
}

export function formatClipRows(rows: readonly ClipRow[]): string {
  return rows.map((r) => JSON.stringify({ text: r.text, image: r.image })).join('\n') + (rows.length ? '\n' : '');
}

export interface UnsupervisedClipRows {
  rows: ClipRow[];
  /** products skipped because they have no image */
  withoutImage: string[];
  /** products skipped because the template renders no text for them */
  withoutText: string[];
}

/** One (product text, product image) row per product that has both, in catalogue order. */
export function unsupervisedClipRows(
  products: readonly Product[],
  hasImage: (id: string) => boolean,
  template = defaultClipTextTemplate,
): UnsupervisedClipRows {
  const t = compileTemplate(template);
  const out: UnsupervisedClipRows = { rows: [], withoutImage: [], withoutText: [] };
  for (const p of products) {
    if (!hasImage(p.id)) {
      out.withoutImage.push(p.id);
      continue;
    }
    const text = t.render(p.fields);
    if (text) out.rows.push({ text, image: p.id });
    else out.withoutText.push(p.id);
  }
  return out;
}

export interface SupervisedClipOptions {
  /** rating at or above which a judged product's image is a positive; default 2 */
  minRating?: number;
  /** share of queries held out; default 0.2 */
  validationFraction?: number;
  seed?: number;
}

export interface SupervisedClipRows {
  train: ClipRow[];
  validation: ClipRow[];
  trainQueries: string[];
  validationQueries: string[];
  /** relevant (query, product) pairs whose product has no image, as "query / id" */
  withoutImage: string[];
  /** queries with no relevant product that has an image (they give no row) */
  queriesWithoutRows: string[];
}

/** (query, image of a product rated ≥ minRating) rows, split by query into train and validation. */
export function supervisedClipRows(judgments: Judgments, hasImage: (id: string) => boolean, opts: SupervisedClipOptions = {}): SupervisedClipRows {
  const minRating = opts.minRating ?? 2;
  const byQuery = new Map<string, ClipRow[]>();
  const withoutImage: string[] = [];
  const queriesWithoutRows: string[] = [];
  for (const [query, judged] of judgments) {
    const rows: ClipRow[] = [];
    for (const [id, rating] of judged) {
      if (rating < minRating) continue;
      if (hasImage(id)) rows.push({ text: query, image: id });
      else withoutImage.push(`${query} / ${id}`);
    }
    if (rows.length) byQuery.set(query, rows);
    else queriesWithoutRows.push(query);
  }
  if (!byQuery.size) throw new ClipRowsError(`no judged query has a product rated ${minRating} or higher with an image`);
  const split = splitByQuery([...byQuery.keys()], opts.validationFraction ?? 0.2, opts.seed ?? 42);
  // rows follow judgments order within each side, so the file reads like the judgments
  const side = new Set(split.validation);
  const keys = [...byQuery.keys()];
  return {
    train: keys.filter((q) => !side.has(q)).flatMap((q) => byQuery.get(q)!),
    validation: keys.filter((q) => side.has(q)).flatMap((q) => byQuery.get(q)!),
    trainQueries: keys.filter((q) => !side.has(q)),
    validationQueries: keys.filter((q) => side.has(q)),
    withoutImage,
    queriesWithoutRows,
  };
}
