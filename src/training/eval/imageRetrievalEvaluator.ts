/**
 * Text→image retrieval evaluation for CLIP: judged queries are embedded by the text tower, the corpus is the
 * image embedding of every product that has an image, and rankings are scored with the same graded metrics
 * and per-query rows as RetrievalEvaluator, so text and image models compare on one scale.
 *
 * Judged products without an image can never be retrieved. Like judged docids missing from a text corpus
 * they still count as relevant and in the ideal DCG (pytrec_eval semantics), and they are counted and
 * reported: a catalogue where half the relevant products lack pictures caps recall, and the report says so.
 */
import { preview } from '../data/corpus.ts';
import type { Judgments } from '../data/judgments.ts';
import { loadPixelsBatch, type ImageProvider } from '../images/imageProvider.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult, TextEncoderLike } from './evaluator.ts';
import { judgedQueries, rankAndScore, unretrievableJudged, type JudgedRun } from './judgedRetrieval.ts';
import type { MetricOptions } from './metrics.ts';

export interface ImageEncoderLike extends TextEncoderLike {
  /** one embedding per preprocessed CHW image, in input order */
  encodeImages(images: Float32Array[], opts?: EncodeOptions): Promise<Float32Array[]>;
}

/**
 * Image embeddings of `ids`, loaded and embedded one batch at a time (pixels are 600 KB each at 224²). A
 * failed image would silently shift every later ranking, so it stops the pass and is named instead.
 */
export async function embedImageCorpus(
  encoder: ImageEncoderLike,
  images: ImageProvider,
  ids: readonly string[],
  batchSize: number,
  opts: EncodeOptions = {},
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < ids.length; start += batchSize) {
    const keys = ids.slice(start, start + batchSize);
    const { pixels, failures } = await loadPixelsBatch(images, keys, { signal: opts.signal });
    if (failures.length) {
      throw new Error(
        `image of product "${failures[0]!.key}" could not be loaded: ${failures[0]!.reason}` +
          (failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''),
      );
    }
    out.push(...(await encoder.encodeImages(pixels as Float32Array[], { batchSize, signal: opts.signal })));
    opts.onProgress?.(out.length, ids.length);
  }
  return out;
}

export interface ImageEvaluateOptions extends EvaluateOptions {
  /** the corpus embeddings when they are cached (ImageVectors); default: embed them now */
  corpus?: (opts: EncodeOptions) => Promise<Float32Array[]>;
}

export interface ImageRetrievalEvaluatorOptions extends MetricOptions {
  /** images (and queries) per forward pass; default 32 */
  batchSize?: number;
  /** default 'image-retrieval' */
  name?: string;
}

export class ImageRetrievalEvaluator {
  readonly name: string;
  readonly primaryMetric: string;
  /** judged (query, product) pairs whose product has no image, as "query / id" */
  readonly withoutImage: string[];
  private readonly run: JudgedRun;

  /** `ids`: the corpus products that have an image in `images` (in the order they are embedded). */
  constructor(
    private readonly ids: readonly string[],
    private readonly images: ImageProvider,
    judgments: Judgments,
    private readonly opts: ImageRetrievalEvaluatorOptions = {},
  ) {
    this.name = opts.name ?? 'image-retrieval';
    this.primaryMetric = `ndcg@${opts.k ?? 10}`;
    if (!ids.length) throw new RangeError('the image corpus is empty: no product has an image');
    const known = new Set(ids);
    if (known.size !== ids.length) throw new RangeError('the image corpus has duplicate ids');
    const missingImage = ids.filter((id) => !images.has(id));
    if (missingImage.length) throw new RangeError(`${missingImage.length} corpus id(s) have no image in the provider: ${preview(missingImage)}`);
    const threshold = opts.relevanceThreshold ?? 2;
    const queries = judgedQueries(judgments, threshold, 'product');
    const unretrievable = unretrievableJudged(judgments, known, threshold, 'product(s) have no image');
    this.withoutImage = unretrievable.pairs;
    this.run = { ids: ids, queries, judgments, metrics: opts, warnings: unretrievable.warnings, corpusItems: 'images' };
  }

  async evaluate(encoder: ImageEncoderLike, opts: ImageEvaluateOptions = {}): Promise<EvaluationResult> {
    const { signal, onProgress } = opts;
    const embed = opts.corpus ?? ((o: EncodeOptions) => embedImageCorpus(encoder, this.images, this.ids, this.opts.batchSize ?? 32, o));
    const corpusVecs = await embed({ signal, onProgress: (done, total) => onProgress?.({ phase: 'corpus', done, total }) });
    signal?.throwIfAborted();
    return rankAndScore(encoder, corpusVecs, this.run, opts);
  }
}
