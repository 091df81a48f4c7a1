/**
 * Corpus vectors of one text model over one corpus, kept as one normalized matrix: a query costs one query
 * embedding plus an exact cosine top-k, and evaluation (RetrievalEvaluator) reads the corpus from the cache.
 */
import { cosineTopK, normalizeRows, type NormalizedMatrix } from './topk.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult, TextEncoderLike } from './evaluator.ts';
import type { Judgments } from '../data/judgments.ts';
import type { MetricOptions } from './metrics.ts';
import type { RetrievalIndex } from './retrievalIndex.ts';
import { RetrievalEvaluator } from './retrievalEvaluator.ts';

export class CorpusVectors implements TextEncoderLike, RetrievalIndex {
  readonly corpusKind = 'texts';
  private vectors?: Promise<Float32Array[]>;
  private matrixCache?: NormalizedMatrix;

  constructor(
    readonly encoder: TextEncoderLike,
    readonly ids: readonly string[],
    readonly texts: readonly string[],
    private readonly batchSize = 32,
  ) {}

  corpus(opts: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!this.vectors) {
      const p = this.encoder.encode([...this.texts], { batchSize: this.batchSize, ...opts });
      this.vectors = p;
      p.catch(() => {
        if (this.vectors === p) this.vectors = undefined;
      });
    }
    return this.vectors;
  }

  async matrix(opts: EncodeOptions = {}): Promise<NormalizedMatrix> {
    this.matrixCache ??= normalizeRows(await this.corpus(opts));
    return this.matrixCache;
  }

  /** serves the corpus from the cache, so an evaluator over the same texts embeds nothing twice */
  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const same = texts.length === this.texts.length && texts.every((t, i) => t === this.texts[i]);
    if (same) {
      const v = await this.corpus(opts);
      opts.onProgress?.(v.length, v.length);
      return v;
    }
    return this.encoder.encode(texts, { batchSize: this.batchSize, ...opts });
  }

  async search(queries: string[], k: number, opts: EncodeOptions = {}): Promise<{ ids: string[]; scores: number[] }[]> {
    const m = await this.matrix({ signal: opts.signal });
    const qv = await this.encoder.encode(queries, { signal: opts.signal });
    return cosineTopK(qv, m, Math.min(k, m.rows), { signal: opts.signal }).map((h) => ({
      ids: Array.from(h.indices, (r) => this.ids[r]!),
      scores: Array.from(h.scores),
    }));
  }

  evaluate(judgments: Judgments, metricOpts: MetricOptions, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    return new RetrievalEvaluator({ ids: this.ids, texts: this.texts }, judgments, metricOpts).evaluate(this, opts);
  }
}
