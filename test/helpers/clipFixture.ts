import type { RgbImage } from '../../src/training/images/rgbImage.ts';
import { initClipModel, type InitClipOptions } from '../../src/training/init/initClipModel.ts';
import { Rng } from '../../src/training/random/rng.ts';
import { tinyTrainingCorpus } from './fixtures.ts';
import { modelFolder } from './modelFolder.ts';

export type TinyClipOptions = Partial<InitClipOptions>;

/** The tiny CLIP's settings: both towers hidden 32, 2 layers, 4 heads; 32x32 images in 8x8 patches; projection 16. */
export const tinyClipDefaults: InitClipOptions = {
  texts: tinyTrainingCorpus,
  merges: 200,
  textHidden: 32,
  textLayers: 2,
  textHeads: 4,
  textIntermediate: 48,
  visionHidden: 32,
  visionLayers: 2,
  visionHeads: 4,
  visionIntermediate: 48,
  projectionDim: 16,
  maxTextLength: 24,
  imageSize: 32,
  patchSize: 8,
  perturbAll: true,
  seed: 0,
};

/**
 * Writes a tiny random CLIPModel folder (config.json, CLIP BPE tokenizer files with ~200 merges learned from
 * tinyTrainingCorpus, preprocessor_config.json, model.safetensors; every parameter random) and returns it.
 * Without `dir` the folder is a temp dir shared by every caller in this process asking for the same options:
 * treat it as read-only.
 */
export function makeTinyClip(dir?: string, opts: TinyClipOptions = {}): Promise<string> {
  return modelFolder('ftlab-tiny-clip-', opts, () => initClipModel({ ...tinyClipDefaults, ...opts }), dir);
}

/** A w x h RGB image of seeded random pixels (the same seed always gives the same image). */
export function tinyImage(seed: number, w = 40, h = 36): RgbImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: w, height: h, data };
}

/** Seeded normal pixel_values [B, C, S, S] (roughly what CLIP normalization yields) as a flat array and nested lists. */
export function randomPixels(
  seed: number,
  B: number,
  C: number,
  S: number,
): { data: Float32Array; nested: number[][][][]; shape: [number, number, number, number] } {
  const rng = new Rng(seed);
  const data = new Float32Array(B * C * S * S).map(() => rng.normal());
  const nested = Array.from({ length: B }, (_, b) =>
    Array.from({ length: C }, (_, c) =>
      Array.from({ length: S }, (_, y) => Array.from(data.subarray(((b * C + c) * S + y) * S, ((b * C + c) * S + y + 1) * S))),
    ),
  );
  return { data, nested, shape: [B, C, S, S] };
}
