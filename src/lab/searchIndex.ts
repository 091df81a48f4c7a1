/**
 * The playground's search: the corpus is embedded once per model and kept as one normalized matrix, so a
 * query costs one query embedding plus an exact cosine top-k over the cached matrix.
 */
import { cosineTopK, normalizeRows, type NormalizedMatrix } from '../training/eval/topk.ts';
import type { EncodeOptions, TextEncoderLike } from '../training/eval/evaluator.ts';
import type { Judgments } from '../training/data/judgments.ts';
import type { SearchHit } from './api/labApi.ts';
import type { LoadedLabData } from './labData.ts';

const shownFields = ['title', 'name', 'supplier', 'brand', 'attr_t_product_type', 'img_thumb', 'img_500x500', 'img_high', 'img_low'];

/** Corpus vectors of one model over one corpus; `encode` serves the corpus from the cache (for evaluators). */
export class CorpusVectors implements TextEncoderLike {
  private vectors?: Promise<Float32Array[]>;
  private matrixCache?: NormalizedMatrix;

  constructor(readonly encoder: TextEncoderLike, readonly texts: readonly string[], private readonly batchSize = 32) {}

  /** the corpus embeddings (computed on first use; an aborted computation is not cached) */
  corpus(opts: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!this.vectors) {
      const p = this.encoder.encode([...this.texts], { batchSize: this.batchSize, ...opts });
      this.vectors = p;
      p.catch(() => { if (this.vectors === p) this.vectors = undefined; });
    }
    return this.vectors;
  }

  async matrix(opts: EncodeOptions = {}): Promise<NormalizedMatrix> {
    this.matrixCache ??= normalizeRows(await this.corpus(opts));
    return this.matrixCache;
  }

  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const same = texts.length === this.texts.length && texts.every((t, i) => t === this.texts[i]);
    if (same) {
      const v = await this.corpus(opts);
      opts.onProgress?.(v.length, v.length);
      return v;
    }
    return this.encoder.encode(texts, { batchSize: this.batchSize, ...opts });
  }
}

function displayFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of shownFields) {
    const v = fields[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}

/** Top-k products for a query by cosine similarity, with judgment marks for judged (query, product) pairs. */
export async function searchTopK(index: CorpusVectors, data: LoadedLabData, query: string, k: number, opts: { judgments?: Judgments; signal?: AbortSignal } = {}): Promise<SearchHit[]> {
  const q = query.trim();
  if (!q) return [];
  const m = await index.matrix({ signal: opts.signal });
  const [qv] = await index.encoder.encode([q], { signal: opts.signal });
  const [hit] = cosineTopK([qv!], m, Math.min(k, m.rows));
  const judged = opts.judgments?.get(q) ?? [...(opts.judgments ?? [])].find(([jq]) => jq.toLowerCase() === q.toLowerCase())?.[1];
  return Array.from(hit!.indices, (row, i) => {
    const id = data.ids[row]!;
    const rating = judged?.get(id);
    return { rank: i + 1, id, score: hit!.scores[i]!, text: data.texts[row]!, fields: displayFields(data.products[row]!.fields), ...(rating !== undefined && { rating }) };
  });
}
