import { describe, expect, it } from 'vitest';
import type { Judgments } from '../../../src/training/data/judgments.ts';
import { cachingImageProvider } from '../../../src/training/images/cachingImageProvider.ts';
import { ImageUnavailableError } from '../../../src/training/images/imageProvider.ts';
import { ImageRetrievalEvaluator, type ImageEncoderLike } from '../../../src/training/eval/imageRetrievalEvaluator.ts';
import { RetrievalEvaluator } from '../../../src/training/eval/retrievalEvaluator.ts';
import { Rng } from '../../../src/training/random/rng.ts';

const dim = 6;
const rng = new Rng(4);
const ids = Array.from({ length: 30 }, (_, i) => `sku${i}`);
const vec = () => Float32Array.from({ length: dim }, () => rng.normal());
const imageVec = new Map(ids.map((id) => [id, vec()]));
const queries = ['red shoe', 'blue mug', 'desk lamp', 'no relevant'];
const queryVec = new Map(queries.map((q) => [q, vec()]));
// ids without an image: sku3 is judged relevant for "red shoe", so that query's recall is capped
const withImage = ids.filter((id) => !['sku3', 'sku17'].includes(id));
const judgments: Judgments = new Map([
  [
    'red shoe',
    new Map([
      ['sku1', 3],
      ['sku3', 2],
      ['sku8', 1],
      ['sku20', 2],
    ]),
  ],
  [
    'blue mug',
    new Map([
      ['sku2', 2],
      ['sku17', 0],
      ['sku25', 3],
    ]),
  ],
  [
    'desk lamp',
    new Map([
      ['sku11', 1],
      ['sku12', 2],
    ]),
  ],
  ['no relevant', new Map([['sku4', 1]])],
]);

/** texts: a query's vector, or (for the text comparison) a product id's image vector; images: the first dim values */
const encoder: ImageEncoderLike & { imageCalls: number[] } = {
  imageCalls: [],
  async encode(texts, opts) {
    opts?.onProgress?.(texts.length, texts.length);
    return texts.map((t) => queryVec.get(t) ?? imageVec.get(t)!);
  },
  async encodeImages(images) {
    this.imageCalls.push(images.length);
    return images.map((px) => px.slice(0, dim));
  },
};
// pixels carry the image vector followed by padding, as a CHW array would carry more than the embedding
const images = (fail?: string) =>
  cachingImageProvider(withImage, async (key) => {
    if (key === fail) throw new ImageUnavailableError(key, `${key}.jpg: truncated JPEG`);
    const px = new Float32Array(3 * 4 * 4);
    px.set(imageVec.get(key)!);
    return px;
  });

describe('ImageRetrievalEvaluator', () => {
  it('scores text→image rankings exactly as RetrievalEvaluator scores the same vectors, per query too', async () => {
    const ev = new ImageRetrievalEvaluator(withImage, images(), judgments, { batchSize: 8 });
    encoder.imageCalls.length = 0;
    const phases = new Set<string>();
    const got = await ev.evaluate(encoder, { onProgress: (p) => phases.add(p.phase) });
    // the same vectors served as a text corpus whose "texts" are the ids
    const text = await new RetrievalEvaluator({ ids: withImage, texts: withImage }, judgments).evaluate(encoder);
    expect(got.metrics).toEqual(text.metrics);
    expect(got.queries).toEqual(text.queries);
    expect(got.skippedQueries).toEqual(['no relevant']);
    expect(Object.keys(got.metrics)).toEqual(['ndcg@10', 'mrr@10', 'recall@10', 'recall@100', 'map@100']);
    // every image is ranked (28 of 30 have one), so recall@100 is 1 except where a relevant product lacks an image
    const recall = Object.fromEntries(got.queries.map((q) => [q.query, q.metrics['recall@100']]));
    expect(recall).toEqual({ 'red shoe': 2 / 3, 'blue mug': 1, 'desk lamp': 1 });
    expect(ev.withoutImage).toEqual(['red shoe / sku3', 'blue mug / sku17']);
    expect(got.warnings!.join()).toMatch(/2 judged product\(s\) have no image \(1 of them relevant\)/);
    expect(encoder.imageCalls).toEqual([8, 8, 8, 4]); // loaded and embedded a batch at a time
    expect([...phases].sort()).toEqual(['corpus', 'queries', 'search']);
  });

  it('hand-checkable case: the nearest image ranks first', async () => {
    const one = new Map([['red shoe', new Map([['sku9', 2]])]]);
    const ev = new ImageRetrievalEvaluator(withImage, images(), one);
    imageVec.set(
      'sku9',
      queryVec.get('red shoe')!.map((x) => x * 3),
    ); // same direction as the query: cosine 1
    const r = await ev.evaluate(encoder);
    expect(r.metrics['mrr@10']).toBe(1);
    expect(r.metrics['ndcg@10']).toBeCloseTo(1, 12);
  });

  it('names a product whose image fails, and rejects an empty or inconsistent corpus', async () => {
    await expect(new ImageRetrievalEvaluator(withImage, images('sku12'), judgments).evaluate(encoder)).rejects.toThrow(
      /image of product "sku12" could not be loaded: sku12\.jpg: truncated JPEG/,
    );
    expect(() => new ImageRetrievalEvaluator([], images(), judgments)).toThrow(/image corpus is empty/);
    expect(() => new ImageRetrievalEvaluator(['sku1', 'sku3'], images(), judgments)).toThrow(/1 corpus id\(s\) have no image in the provider: sku3/);
    expect(() => new ImageRetrievalEvaluator(withImage, images(), new Map([['q', new Map([['sku1', 1]])]]))).toThrow(
      /no judged query has a product rated 2/,
    );
  });
});
