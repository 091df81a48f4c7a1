/**
 * Product image embeddings of one CLIP model, computed once and shared by evaluation and the playground's
 * "image vectors" search (the image-side twin of searchIndex.ts's CorpusVectors). Text→image evaluation is
 * scored with the same computeMetrics as the text evaluators, so text and image runs compare on one scale.
 */
import type { Judgments } from '../training/data/judgments.ts';
import { countRelevant } from '../training/data/judgments.ts';
import { preview } from '../training/data/corpus.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult } from '../training/eval/evaluator.ts';
import type { ImageEncoderLike } from '../training/eval/imageRetrievalEvaluator.ts';
import { computeMetrics, rankingDepth, type MetricOptions } from '../training/eval/metrics.ts';
import { cosineTopK, normalizeRows, type NormalizedMatrix } from '../training/eval/topk.ts';
import { loadPixelsBatch, type ImageProvider } from '../training/images/imageProvider.ts';

export class ImageVectors {
  private vectors?: Promise<Float32Array[]>;
  private matrixCache?: NormalizedMatrix;

  /** `ids`: the products with a usable image, in corpus order (the rows of the matrix) */
  constructor(readonly encoder: ImageEncoderLike, readonly images: ImageProvider, readonly ids: readonly string[], private readonly batchSize = 16) {
    if (!ids.length) throw new Error('no product has a usable image: check the images in the Data step');
  }

  /** Image embeddings (L2-normalized by the encoder), loaded and embedded one batch at a time; an aborted pass is not cached. */
  corpus(opts: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!this.vectors) {
      const p = this.embed(opts);
      this.vectors = p;
      p.catch(() => { if (this.vectors === p) this.vectors = undefined; });
    }
    return this.vectors;
  }

  private async embed(opts: EncodeOptions): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < this.ids.length; start += this.batchSize) {
      const keys = this.ids.slice(start, start + this.batchSize);
      const { pixels, failures } = await loadPixelsBatch(this.images, keys, { signal: opts.signal });
      if (failures.length) throw new Error(`image of product "${failures[0]!.key}" could not be loaded: ${failures[0]!.reason}`);
      out.push(...(await this.encoder.encodeImages(pixels as Float32Array[], { batchSize: this.batchSize, signal: opts.signal })));
      opts.onProgress?.(out.length, this.ids.length);
    }
    return out;
  }

  async matrix(opts: EncodeOptions = {}): Promise<NormalizedMatrix> {
    this.matrixCache ??= normalizeRows(await this.corpus(opts));
    return this.matrixCache;
  }

  /** Top-k image rows for each query text (text tower), as product ids with cosine scores. */
  async search(queries: string[], k: number, opts: EncodeOptions = {}): Promise<{ ids: string[]; scores: number[] }[]> {
    const m = await this.matrix(opts);
    const qv = await this.encoder.encode(queries, { signal: opts.signal });
    return cosineTopK(qv, m, Math.min(k, m.rows), { signal: opts.signal }).map((h) => ({ ids: Array.from(h.indices, (r) => this.ids[r]!), scores: Array.from(h.scores) }));
  }

  /**
   * Text→image retrieval metrics over the judged queries with a relevant product. Judged products without a
   * usable image still count as relevant (they cap recall) and are reported, as in ImageRetrievalEvaluator.
   */
  async evaluate(judgments: Judgments, metricOpts: MetricOptions, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    const threshold = metricOpts.relevanceThreshold ?? 2;
    const queries = [...judgments].filter(([, judged]) => countRelevant(judged, threshold) > 0).map(([q]) => q);
    if (!queries.length) throw new Error(`no judged query has a product rated ${threshold} or higher; nothing to evaluate`);
    await this.corpus({ signal: opts.signal, onProgress: (done, total) => opts.onProgress?.({ phase: 'corpus', done, total }) });
    const known = new Set(this.ids);
    const without = [...judgments].flatMap(([q, judged]) => [...judged].filter(([id, r]) => r >= threshold && !known.has(id)).map(([id]) => `${q} / ${id}`));
    opts.onProgress?.({ phase: 'queries', done: 0, total: queries.length });
    const hits = await this.search(queries, rankingDepth(metricOpts), { signal: opts.signal });
    opts.onProgress?.({ phase: 'queries', done: queries.length, total: queries.length });
    opts.onProgress?.({ phase: 'search', done: queries.length, total: queries.length });
    const rankings = new Map(queries.map((q, i) => [q, hits[i]!.ids]));
    const summary = computeMetrics(rankings, judgments, metricOpts);
    const warnings = without.length
      ? [`${without.length} relevant judged product(s) have no usable image: they count as relevant but can never be retrieved: ${preview(without)}`]
      : [];
    return { metrics: summary.metrics, queries: summary.queries, skippedQueries: summary.skippedQueries, warnings };
  }
}
