/**
 * Product image embeddings of one CLIP model, computed once and shared by evaluation and the playground's
 * "image vectors" search (the image-side twin of CorpusVectors). Evaluation is the one text→image evaluator
 * (ImageRetrievalEvaluator) over the cached vectors, so the lab and the CLI report the same numbers and warnings.
 */
import type { Judgments } from '../data/judgments.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult } from './evaluator.ts';
import { embedImageCorpus, ImageRetrievalEvaluator, type ImageEncoderLike } from './imageRetrievalEvaluator.ts';
import type { MetricOptions } from './metrics.ts';
import { CachedCorpusIndex } from './cachedCorpusIndex.ts';
import type { ImageProvider } from '../images/imageProvider.ts';
import type { RetrievalIndex } from './retrievalIndex.ts';

export class ImageVectors extends CachedCorpusIndex implements RetrievalIndex {
  readonly corpusKind = 'images';

  /** `ids`: the products with a usable image, in corpus order (the rows of the matrix) */
  constructor(
    readonly encoder: ImageEncoderLike,
    readonly images: ImageProvider,
    readonly ids: readonly string[],
    private readonly batchSize = 16,
  ) {
    super();
    if (!ids.length) throw new Error('no product has a usable image: the image index needs at least one');
  }

  /** Image embeddings (L2-normalized by the encoder). */
  protected embedCorpus(opts: EncodeOptions): Promise<Float32Array[]> {
    return embedImageCorpus(this.encoder, this.images, this.ids, this.batchSize, opts);
  }

  evaluate(judgments: Judgments, metricOpts: MetricOptions, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    const evaluator = new ImageRetrievalEvaluator(this.ids, this.images, judgments, { ...metricOpts, batchSize: this.batchSize });
    return evaluator.evaluate(this.encoder, { ...opts, corpus: (o) => this.corpus(o) });
  }
}
