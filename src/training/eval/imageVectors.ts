/**
 * Product image embeddings of one CLIP model, computed once and shared by evaluation and the playground's
 * "image vectors" search (the image-side twin of CorpusVectors). Evaluation is the one text→image evaluator
 * (ImageRetrievalEvaluator) over the cached vectors, so the lab and the CLI report the same numbers and warnings.
 */
import type { Judgments } from '../data/judgments.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult } from './evaluator.ts';
import { embedImageCorpus, ImageRetrievalEvaluator, type ImageEncoderLike } from './imageRetrievalEvaluator.ts';
import type { MetricOptions } from './metrics.ts';
import { cosineTopK, normalizeRows, type NormalizedMatrix } from './topk.ts';
import type { ImageProvider } from '../images/imageProvider.ts';
import type { RetrievalIndex } from './retrievalIndex.ts';

export class ImageVectors implements RetrievalIndex {
  readonly corpusKind = 'images';
  private vectors?: Promise<Float32Array[]>;
  private matrixCache?: NormalizedMatrix;

  /** `ids`: the products with a usable image, in corpus order (the rows of the matrix) */
  constructor(
    readonly encoder: ImageEncoderLike,
    readonly images: ImageProvider,
    readonly ids: readonly string[],
    private readonly batchSize = 16,
  ) {
    if (!ids.length) throw new Error('no product has a usable image: the image index needs at least one');
  }

  /** Image embeddings (L2-normalized by the encoder); an aborted pass is not cached. */
  corpus(opts: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!this.vectors) {
      const p = embedImageCorpus(this.encoder, this.images, this.ids, this.batchSize, opts);
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

  /** Top-k image rows for each query text (text tower), as product ids with cosine scores. */
  async search(queries: string[], k: number, opts: EncodeOptions = {}): Promise<{ ids: string[]; scores: number[] }[]> {
    const m = await this.matrix(opts);
    const qv = await this.encoder.encode(queries, { signal: opts.signal });
    return cosineTopK(qv, m, Math.min(k, m.rows), { signal: opts.signal }).map((h) => ({
      ids: Array.from(h.indices, (r) => this.ids[r]!),
      scores: Array.from(h.scores),
    }));
  }

  evaluate(judgments: Judgments, metricOpts: MetricOptions, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    const evaluator = new ImageRetrievalEvaluator(this.ids, this.images, judgments, { ...metricOpts, batchSize: this.batchSize });
    return evaluator.evaluate(this.encoder, { ...opts, corpus: (o) => this.corpus(o) });
  }
}
