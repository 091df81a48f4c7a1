/**
 * Corpus vectors of one text model over one corpus, kept as one normalized matrix: a query costs one query
 * embedding plus an exact cosine top-k, and evaluation (RetrievalEvaluator) reads the corpus from the cache.
 */
import { CachedCorpusIndex } from './cachedCorpusIndex.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult, TextEncoderLike } from './evaluator.ts';
import type { Judgments } from '../data/judgments.ts';
import type { MetricOptions } from './metrics.ts';
import type { RetrievalIndex } from './retrievalIndex.ts';
import { RetrievalEvaluator } from './retrievalEvaluator.ts';

export class CorpusVectors extends CachedCorpusIndex implements TextEncoderLike, RetrievalIndex {
  readonly corpusKind = 'texts';

  constructor(
    readonly encoder: TextEncoderLike,
    readonly ids: readonly string[],
    readonly texts: readonly string[],
    private readonly batchSize = 32,
  ) {
    super();
  }

  protected embedCorpus(opts: EncodeOptions): Promise<Float32Array[]> {
    return this.encoder.encode([...this.texts], { batchSize: this.batchSize, ...opts });
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

  evaluate(judgments: Judgments, metricOpts: MetricOptions, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    return new RetrievalEvaluator({ ids: this.ids, texts: this.texts }, judgments, metricOpts).evaluate(this, opts);
  }
}
