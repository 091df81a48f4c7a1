/**
 * CLIP training rows for the lab (the same builders `ftlab prepare clip` uses), over the products whose image
 * loaded in the image check:
 * - unsupervised: each product's caption "{title} {supplier} {attr_t_product_type}" ↔ its own image;
 * - supervised: each judged query ↔ the image of every product rated ≥ threshold, split by query so no
 *   validation query is trained on (evaluate with `validationQueries`).
 */
import { defaultClipTextTemplate, supervisedClipRows, unsupervisedClipRows, type ClipRow } from '../training/data/clipRows.ts';
import { preview } from '../training/data/corpus.ts';
import type { ClipPrepare } from './api/clipRequest.ts';
import type { LoadedLabData } from './labData.ts';
import { PrepareError } from './prepareRows.ts';

export interface ClipPrepared {
  rows: ClipRow[];
  loss: 'clip';
  validationQueries?: string[];
  trainQueries?: string[];
  stats: Record<string, number>;
  warnings: string[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function prepareClipRows(data: LoadedLabData, hasImage: (id: string) => boolean, req: ClipPrepare): ClipPrepared {
  const warnings: string[] = [];
  if (req.mode === 'clip-unsupervised') {
    const products = data.products.filter((p) => hasImage(p.id));
    const picked = req.maxProducts ? products.slice(0, req.maxProducts) : products;
    const built = unsupervisedClipRows(picked, () => true, req.template ?? defaultClipTextTemplate);
    const without = data.products.length - products.length;
    if (without) warnings.push(`${plural(without, 'product has', 'products have')} no usable image and give no row`);
    if (built.withoutText.length)
      warnings.push(
        `${plural(built.withoutText.length, 'product has', 'products have')} no caption under "${req.template ?? defaultClipTextTemplate}": ${preview(built.withoutText)}`,
      );
    if (!built.rows.length) throw new PrepareError('no CLIP training rows: no product has both an image that loaded and a caption');
    return { rows: built.rows, loss: 'clip', warnings, stats: { rows: built.rows.length, products: picked.length, withoutImage: without } };
  }
  if (!data.judgments) throw new PrepareError('supervised CLIP needs judgments: drop a judgments CSV (query, docid, rating) in the Data step');
  const threshold = req.threshold ?? 2;
  let split;
  try {
    split = supervisedClipRows(data.judgments, (id) => data.rowOf.has(id) && hasImage(id), {
      minRating: threshold,
      validationFraction: req.validation ?? 0.2,
      seed: req.seed ?? 42,
    });
  } catch (e) {
    throw new PrepareError((e as Error).message);
  }
  if (split.withoutImage.length)
    warnings.push(
      `${plural(split.withoutImage.length, 'relevant judged product has', 'relevant judged products have')} no usable image: ${preview(split.withoutImage)}`,
    );
  if (split.queriesWithoutRows.length)
    warnings.push(
      `${plural(split.queriesWithoutRows.length, 'judged query has', 'judged queries have')} no relevant product with an image and give no row: ${preview(split.queriesWithoutRows)}`,
    );
  if (!split.train.length) throw new PrepareError('no CLIP training rows: every query with an image went to validation');
  return {
    rows: split.train,
    loss: 'clip',
    trainQueries: split.trainQueries,
    validationQueries: split.validationQueries,
    warnings,
    stats: {
      rows: split.train.length,
      trainQueries: split.trainQueries.length,
      validationQueries: split.validationQueries.length,
      validationRows: split.validation.length,
    },
  };
}
