import { beforeAll, describe, expect, it } from 'vitest';
import { resizeBicubicPil, resizePil } from '../../../src/training/images/pilResize.ts';
import {
  clipImageConfigJson,
  clipPixelShape,
  clipResizeSize,
  defaultClipImageConfig,
  parseClipImageConfig,
  preprocessClipImage,
} from '../../../src/training/images/clipImageProcessor.ts';
import type { RgbImage } from '../../../src/training/images/rgbImage.ts';
import { runPreprocessReference, testImage, type PreprocessAnswer, type PreprocessRequest } from '../../helpers/imageReference.ts';
import { maxAbsDiff } from '../../helpers/reference.ts';

/** A width x height image whose every row is `row` (one grey level per column, replicated to RGB). */
function rowImage(row: number[], height: number): RgbImage {
  const data = new Uint8Array(row.length * height * 3);
  for (let y = 0; y < height; y++) row.forEach((v, x) => data.fill(v, (y * row.length + x) * 3, (y * row.length + x) * 3 + 3));
  return { width: row.length, height, data };
}
const transpose = (img: RgbImage): RgbImage => {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) data.set(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3), (x * img.height + y) * 3);
  return { width: img.height, height: img.width, data };
};
const column = (img: RgbImage, x = 0) => Array.from({ length: img.height }, (_, y) => img.data[(y * img.width + x) * 3]!);
const firstRow = (img: RgbImage) => Array.from({ length: img.width }, (_, x) => img.data[x * 3]!);

describe('resizeBicubicPil: hand-derived pixels', () => {
  // Pillow bicubic (a = -0.5): f(0.25) = 0.8671875, f(0.75) = 0.2265625, f(1.25) = -0.0703125.
  it('upsamples [0, 255] to [0, 53, 202, 255]', () => {
    // out 0: centre 0.25, taps x=0,1 weights f(0.25), f(1.25) normalised by 0.796875 -> 255 * -0.088 < 0 -> 0.
    // out 1: centre 0.75, weights f(-0.25), f(0.75) / 1.09375 -> 255 * 0.2071429 = 52.82 -> 53.
    // out 2: mirror: 255 * 0.7928571 = 202.18 -> 202; out 3: 255 * 1.088 clipped to 255.
    const out = resizeBicubicPil(rowImage([0, 255], 3), 4, 3);
    expect(out.height).toBe(3);
    for (let y = 0; y < 3; y++) expect(Array.from({ length: 4 }, (_, x) => out.data[(y * 4 + x) * 3 + 1])).toEqual([0, 53, 202, 255]);
  });

  it('downsamples [0, 100, 200, 250] to [61, 218] with the support doubled (antialias)', () => {
    // scale 2 -> support 4, taps at (x - centre + 0.5) / 2:
    // out 0: weights f(-.25), f(.25), f(.75), f(1.25) = .8671875, .8671875, .2265625, -.0703125 (sum 1.890625)
    //   (100 * .8671875 + 200 * .2265625 - 250 * .0703125) / 1.890625 = 60.54 -> 61
    // out 1: weights mirrored: (100 * .2265625 + 200 * .8671875 + 250 * .8671875) / 1.890625 = 218.39 -> 218
    const img = rowImage([0, 100, 200, 250], 2);
    expect(firstRow(resizeBicubicPil(img, 2, 2))).toEqual([61, 218]);
    // the vertical pass computes the same numbers on the transposed image
    expect(column(resizeBicubicPil(transpose(img), 2, 2))).toEqual([61, 218]);
    expect(column(resizeBicubicPil(transpose(rowImage([0, 255], 1)), 1, 4))).toEqual([0, 53, 202, 255]);
  });

  it('keeps a uniform colour at every size and copies when the size is unchanged', () => {
    const img: RgbImage = { width: 5, height: 3, data: new Uint8Array(45).map((_, i) => [255, 128, 0][i % 3]!) };
    for (const [w, h] of [
      [1, 1],
      [2, 7],
      [13, 3],
      [5, 11],
      [224, 131],
    ] as const) {
      const out = resizeBicubicPil(img, w, h);
      expect(out.data.length).toBe(w * h * 3);
      expect(out.data.every((v, i) => v === [255, 128, 0][i % 3])).toBe(true);
    }
    const same = resizeBicubicPil(img, 5, 3);
    expect(same.data).toEqual(img.data);
    expect(same.data).not.toBe(img.data);
  });
});

describe('preprocessClipImage: hand-computed values', () => {
  it('normalizes a uniform image with the OpenAI CLIP mean and std', () => {
    const c = { ...defaultClipImageConfig(4) };
    const img: RgbImage = { width: 6, height: 9, data: new Uint8Array(6 * 9 * 3).map((_, i) => [255, 128, 0][i % 3]!) };
    const px = preprocessClipImage(img, c);
    expect(px.length).toBe(3 * 4 * 4);
    // (255/255 - 0.48145466) / 0.26862954, (128/255 - 0.4578275) / 0.26130258, (0 - 0.40821073) / 0.27577711
    const expected = [1.930336254158794, 0.16889723903118556, -1.4802197687835659];
    for (let ch = 0; ch < 3; ch++) for (let i = 0; i < 16; i++) expect(Math.abs(px[ch * 16 + i]! - expected[ch]!)).toBeLessThan(1e-6);
  });

  it('centre-crops at floor((size - crop) / 2) and zero-pads an image smaller than the crop', () => {
    const g = (w: number, h: number): RgbImage => ({ width: w, height: h, data: new Uint8Array(w * h * 3).map((_, i) => 1 + Math.floor(i / 3)) });
    const raw = { do_resize: false, do_rescale: false, do_normalize: false };
    // 5x3, crop 2x2: top 0, left 1 -> pixels 2, 3 / 7, 8 (1-based pixel numbering)
    const a = preprocessClipImage(g(5, 3), parseClipImageConfig({ ...raw, crop_size: 2 }, 'test'));
    expect(Array.from(a.subarray(0, 4))).toEqual([2, 3, 7, 8]);
    // 2x3 inside a 4x4 crop: top = (3 - 4) // 2 = -1, left = -1 -> a zero border on top and left, zeros right
    const b = preprocessClipImage(g(2, 3), parseClipImageConfig({ ...raw, crop_size: { height: 4, width: 4 } }, 'test'));
    expect(Array.from(b.subarray(16, 32))).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0]);
    // zero padding happens before normalize: a padded pixel is (0 - mean) / std
    const n = preprocessClipImage(g(2, 3), parseClipImageConfig({ do_resize: false, crop_size: 4 }, 'test'));
    expect(Math.abs(n[0]! - -1.79226253374815)).toBeLessThan(1e-6);
    expect(Math.abs(n[16]! - -1.7520971281645974)).toBeLessThan(1e-6);
  });

  it('resizes the shortest edge to size and the long one to int(size * long / short)', () => {
    const c = defaultClipImageConfig(224);
    expect(clipResizeSize(300, 200, c)).toEqual({ width: 336, height: 224 });
    expect(clipResizeSize(200, 301, c)).toEqual({ width: 224, height: 337 });
    expect(clipResizeSize(100, 100, c)).toEqual({ width: 224, height: 224 });
    expect(clipResizeSize(7, 1000, c)).toEqual({ width: 224, height: 32000 });
    expect(clipPixelShape(c)).toEqual([3, 224, 224]);
    expect(clipResizeSize(300, 200, parseClipImageConfig({ size: { height: 20, width: 30 } }, 'test'))).toEqual({ width: 30, height: 20 });
  });
});

describe('parseClipImageConfig', () => {
  it('reads HF preprocessor_config.json shapes and round-trips its own export', () => {
    const c = parseClipImageConfig(
      {
        crop_size: 224,
        do_center_crop: true,
        do_normalize: true,
        do_resize: true,
        feature_extractor_type: 'CLIPFeatureExtractor',
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.25, 0.5, 1],
        resample: 2,
        size: 256,
      },
      'p.json',
    );
    expect(c).toMatchObject({ shortestEdge: 256, cropHeight: 224, cropWidth: 224, resample: 2, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] });
    expect(parseClipImageConfig(clipImageConfigJson(c), 'again')).toEqual(c);
    const d = defaultClipImageConfig(32);
    expect(parseClipImageConfig(clipImageConfigJson(d), 'd')).toEqual(d);
  });

  it('names the file and the field in errors', () => {
    expect(() => parseClipImageConfig({ size: { longest_edge: 3 } }, 'm/preprocessor_config.json')).toThrow(
      /m\/preprocessor_config.json: size must have shortest_edge/,
    );
    expect(() => parseClipImageConfig({ crop_size: { height: 0, width: 2 } }, 'p')).toThrow(/p: crop_size.height must be a positive integer/);
    expect(() => parseClipImageConfig({ image_mean: [1, 2] }, 'p')).toThrow(/p: image_mean must be a list of 3 numbers/);
    expect(() => parseClipImageConfig({ resample: 0 }, 'p')).toThrow(/p: resample 0 is not supported/);
    expect(() => parseClipImageConfig({ do_resize: 'yes' }, 'p')).toThrow(/p: do_resize must be true or false/);
    expect(() => parseClipImageConfig({ image_processor_type: 'SiglipImageProcessor' }, 'p')).toThrow(
      /p: image processor "SiglipImageProcessor" is not supported/,
    );
  });
});

describe('against the numpy Pillow / CLIPImageProcessor reference', () => {
  // [in w, in h, out w, out h, resample]: up and down, odd sizes, one axis unchanged, extreme ratios, every filter.
  const pairs: [number, number, number, number, number][] = [
    [7, 5, 3, 11, 3],
    [5, 5, 1, 1, 3],
    [1, 1, 5, 4, 3],
    [97, 13, 31, 40, 3],
    [64, 48, 224, 168, 3],
    [333, 517, 224, 347, 3],
    [300, 200, 336, 224, 3],
    [17, 23, 17, 9, 3],
    [17, 23, 40, 23, 3],
    [2, 2, 3, 3, 3],
    [3, 2, 2, 3, 3],
    [255, 3, 8, 2, 3],
    [640, 480, 299, 224, 3],
    [31, 29, 224, 224, 3],
    [101, 77, 50, 50, 2],
    [101, 77, 150, 33, 2],
    [45, 60, 32, 95, 4],
    [45, 60, 19, 7, 1],
    [45, 60, 91, 121, 1],
    [45, 60, 20, 130, 5],
    [9, 8, 7, 6, 5],
  ];
  const resizeReqs: PreprocessRequest[] = pairs.flatMap(([w, h, ow, oh, resample], i) =>
    (['noise', 'smooth'] as const).map((kind) => ({
      op: 'resize' as const,
      image: testImage(100 + i, w, h, kind),
      width: ow,
      height: oh,
      resample,
    })),
  );
  const configs: Record<string, unknown>[] = [
    {}, // CLIPImageProcessor defaults (224)
    { size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 } },
    { size: 24, crop_size: 24, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
    { size: 20, crop_size: { height: 30, width: 26 } }, // crop larger than the resized image: zero padding
    { size: 33, crop_size: 31, do_rescale: false, image_mean: [120, 110, 100], image_std: [60, 55, 50] },
    { size: { height: 28, width: 40 }, crop_size: 28, resample: 2 },
    { do_resize: false, crop_size: 40 },
    { size: 48, do_center_crop: false, do_normalize: false },
  ];
  const images = [testImage(1, 300, 200, 'smooth'), testImage(2, 150, 251), testImage(3, 37, 37), testImage(4, 19, 64, 'smooth')];
  const preReqs: PreprocessRequest[] = configs.flatMap((config) => images.map((image) => ({ op: 'preprocess' as const, image, config })));
  let answers: PreprocessAnswer[] = [];
  beforeAll(() => {
    answers = runPreprocessReference([...resizeReqs, ...preReqs]);
  });

  it('resize: exact uint8 equality for every size pair and filter', () => {
    const mismatches: string[] = [];
    resizeReqs.forEach((r, i) => {
      if (r.op !== 'resize') return;
      const ref = answers[i] as { image: RgbImage };
      const out = resizePil(r.image, r.width, r.height, r.resample);
      expect([out.width, out.height]).toEqual([ref.image.width, ref.image.height]);
      const diff = out.data.findIndex((v, j) => v !== ref.image.data[j]);
      if (diff >= 0) mismatches.push(`${r.image.width}x${r.image.height} -> ${r.width}x${r.height} (filter ${r.resample}) at byte ${diff}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('preprocess: shape equal and values bit-identical (float32) for every config and image', () => {
    let worst = 0;
    preReqs.forEach((r, k) => {
      if (r.op !== 'preprocess') return;
      const ref = answers[resizeReqs.length + k] as { shape: number[]; pixels: Float32Array };
      const c = parseClipImageConfig(r.config, `config ${k}`);
      const px = preprocessClipImage(r.image, c);
      expect(clipPixelShape(c, r.image.width, r.image.height)).toEqual(ref.shape);
      worst = Math.max(worst, maxAbsDiff(px, ref.pixels));
    });
    // Same float32 rounding at every step as numpy, so not merely within 1e-6 but identical.
    expect(worst).toBe(0);
  });
});
