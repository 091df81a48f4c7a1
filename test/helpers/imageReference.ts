import { Rng } from '../../src/training/random/rng.ts';
import type { RgbImage } from '../../src/training/images/rgbImage.ts';
import { runPythonReference } from './pythonReference.ts';

interface WireImage {
  width: number;
  height: number;
  data: string;
}

export type PreprocessRequest =
  | { op: 'resize'; image: RgbImage; width: number; height: number; resample?: number }
  | { op: 'preprocess'; image: RgbImage; config: Record<string, unknown> };

export type PreprocessAnswer = { image: RgbImage } | { shape: number[]; pixels: Float32Array };

function float32s(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const wire = (img: RgbImage): WireImage => ({ width: img.width, height: img.height, data: Buffer.from(img.data).toString('base64') });

/**
 * Runs test/reference/clip_preprocess_reference.py once for many requests (python + numpy start-up costs
 * seconds on a loaded machine, so tests batch their questions).
 */
export function runPreprocessReference(reqs: PreprocessRequest[]): PreprocessAnswer[] {
  const out = runPythonReference<({ width: number; height: number; data: string } | { shape: number[]; pixels: string })[]>(
    'clip_preprocess_reference.py',
    reqs.map((r) => ({ ...r, image: wire(r.image) })),
  );
  return out.map((a) =>
    'data' in a
      ? { image: { width: a.width, height: a.height, data: new Uint8Array(Buffer.from(a.data, 'base64')) } }
      : { shape: a.shape, pixels: float32s(a.pixels) },
  );
}

/**
 * A seeded test image. 'noise' is uniform bytes (every resize clips and rounds a lot); 'smooth' is a
 * gradient with mild noise (values stay away from 0/255, so rounding, not clipping, is what gets tested).
 */
export function testImage(seed: number, width: number, height: number, kind: 'noise' | 'smooth' = 'noise'): RgbImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        data[i] =
          kind === 'noise'
            ? rng.int(256)
            : Math.round(40 + 170 * ((x / Math.max(1, width - 1) + (c === 1 ? y / Math.max(1, height - 1) : 0)) / 2) + rng.int(9) - 4);
      }
    }
  }
  return { width, height, data };
}
