/**
 * Chorus product documents with vector fields, as the JSON array Solr's /update handler takes. Written
 * product by product through a writer callback, so neither the CLI (file stream) nor the lab (Blob parts
 * for a download) ever holds the whole 19,406-product array as one string.
 *
 * A vector field is an input per product (today: the product text rendered through a template) plus an
 * embedding function. Image vectors for CLIP models fit the same shape later: the input is the product's
 * image URL and the embedder the image tower, with no change here.
 */
import { compileTemplate } from '../data/textTemplate.ts';
import type { Product } from '../data/corpus.ts';
import { preview } from '../data/corpus.ts';
import { float32JsonArray } from './float32Text.ts';

/** One vector per input, or undefined where an input turned out unusable (an image that fails to decode): that product is written without the vector. */
export type Embedder = (inputs: string[]) => Promise<(Float32Array | undefined)[]>;

export interface VectorField {
  /** Solr field name, e.g. finetuned_product_vector */
  field: string;
  /** what is embedded for a product; undefined or '' when the product has nothing to embed */
  input(product: Product): string | undefined;
  embed: Embedder;
  /** for messages: "text {title} {supplier}" */
  describe: string;
}

/** A text vector field: the product text rendered through `template` (the one training used). */
export function textVectorField(field: string, template: string, embed: Embedder): VectorField {
  const t = compileTemplate(template);
  return { field, input: (p) => t.render(p.fields), embed, describe: `text "${template}"` };
}

export interface SolrDocumentsOptions {
  /** products embedded per embed() call, and written per chunk; default 256 */
  chunkSize?: number;
  /**
   * Products with nothing to embed: 'keep' writes them without the vector field (Solr allows documents
   * without a dense vector; they stay findable by keyword search, only the KNN query cannot reach them),
   * 'drop' leaves them out of the file. Default 'keep', so re-posting the file never removes products.
   */
  missing?: 'keep' | 'drop';
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SolrDocumentsReport {
  /** documents written */
  written: number;
  /** vector length per field */
  dimensions: Record<string, number>;
  /** per field: ids of products that had nothing to embed */
  missing: Record<string, string[]>;
  warnings: string[];
}

/** Writes `[`, one JSON document per product in corpus order (separated by ",\n"), then `]\n`. */
export async function writeSolrDocuments(
  products: readonly Product[],
  fields: readonly VectorField[],
  write: (chunk: string) => void | Promise<void>,
  opts: SolrDocumentsOptions = {},
): Promise<SolrDocumentsReport> {
  const chunkSize = opts.chunkSize ?? 256;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (!fields.length) throw new Error('writeSolrDocuments: no vector fields');
  const names = fields.map((f) => f.field);
  if (new Set(names).size !== names.length) throw new Error(`vector field named twice: ${names.join(', ')}`);
  const dimensions: Record<string, number> = {};
  const missing: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  const overwritten = new Set<string>();
  let written = 0;
  await write('[');
  for (let start = 0; start < products.length; start += chunkSize) {
    if (opts.signal?.aborted) throw new Error(`vector export aborted after ${start} of ${products.length} products`);
    const chunk = products.slice(start, start + chunkSize);
    // per field: the vector of each product in the chunk (undefined when it had no input)
    const vectors = await Promise.all(
      fields.map(async (f) => {
        const inputs = chunk.map((p) => f.input(p) || undefined);
        const present = inputs.flatMap((x, i) => (x === undefined ? [] : [i]));
        const out: (Float32Array | undefined)[] = new Array(chunk.length);
        chunk.forEach((p, i) => {
          if (inputs[i] === undefined) missing[f.field]!.push(p.id);
        });
        if (!present.length) return out;
        const embedded = await f.embed(present.map((i) => inputs[i]!));
        if (embedded.length !== present.length)
          throw new Error(`${f.field}: embedder returned ${embedded.length} vectors for ${present.length} inputs`);
        present.forEach((i, k) => {
          const v = embedded[k];
          if (v === undefined) return void missing[f.field]!.push(chunk[i]!.id);
          const dim = (dimensions[f.field] ??= v.length);
          if (v.length !== dim) throw new Error(`${f.field}: vector of product ${chunk[i]!.id} has ${v.length} values, earlier ones ${dim}`);
          out[i] = v;
        });
        return out;
      }),
    );
    let text = '';
    chunk.forEach((p, i) => {
      const own = fields.map((f, k) => [f.field, vectors[k]![i]] as const).filter(([, v]) => v !== undefined);
      if (!own.length && opts.missing === 'drop') return;
      // original fields first, in their order; the vector replaces a field of the same name
      let doc = '{';
      let first = true;
      for (const [key, value] of Object.entries(p.fields)) {
        if (names.includes(key)) {
          overwritten.add(key);
          continue;
        }
        if (value === undefined) continue;
        doc += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`;
        first = false;
      }
      for (const [field, v] of own) {
        doc += `${first ? '' : ','}${JSON.stringify(field)}:${float32JsonArray(v!)}`;
        first = false;
      }
      text += `${written ? ',\n' : '\n'}${doc}}`;
      written++;
    });
    if (text) await write(text);
    opts.onProgress?.(Math.min(start + chunkSize, products.length), products.length);
  }
  await write('\n]\n');
  const warnings: string[] = [];
  for (const f of fields) {
    const ids = missing[f.field]!;
    if (ids.length) {
      warnings.push(
        `${ids.length} of ${products.length} products have nothing to embed for ${f.field} (${f.describe}); ` +
          `${opts.missing === 'drop' ? 'they are left out of the file' : 'they are written without the vector'}: ${preview(ids)}`,
      );
    }
  }
  if (overwritten.size) warnings.push(`the corpus already had field(s) ${[...overwritten].join(', ')}; they are replaced by the new vectors`);
  return { written, dimensions, missing, warnings };
}
