import { checkRgbImage, type RgbImage } from './rgbImage.ts';

/**
 * An exact port of Pillow's ImagingResample for 8-bit images (libImaging/Resample.c), the resize behind
 * Hugging Face's CLIPImageProcessor (Image.resize with reducing_gap=None). Matching it bit for bit matters:
 * a model fine-tuned here and served by transformers (or the reverse) must see the same pixels.
 */

/** Pillow's resample codes (Image.Resampling), as stored in preprocessor_config.json "resample". */
export const PIL_RESAMPLE = { LANCZOS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 } as const;

interface Filter {
  support: number;
  f: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

// Same formulas and evaluation order as Resample.c, so the double weights are bitwise identical.
const filters: Record<number, Filter> = {
  [PIL_RESAMPLE.BOX]: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [PIL_RESAMPLE.BILINEAR]: {
    support: 1,
    f: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  [PIL_RESAMPLE.HAMMING]: {
    support: 1,
    f: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
    },
  },
  [PIL_RESAMPLE.BICUBIC]: {
    support: 2,
    f: (x) => {
      const a = -0.5; // Pillow's cubic parameter (Keys' a = -0.5)
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  [PIL_RESAMPLE.LANCZOS]: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

// 32 bits minus 8 for the pixel value minus 2 for the sign and the negative-lobe overshoot.
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coeffs {
  ksize: number;
  bounds: Int32Array;
  kk: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for the whole-image box [0, inSize). */
function precomputeCoeffs(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  // Downscaling widens the filter by the scale factor: that is Pillow's antialiasing.
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates; a negative result is clamped to 0 right after, so trunc and floor agree.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.f((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      // (int)(±0.5 + w * 2^22): round half away from zero by truncation, as normalize_coeffs_8bpc does.
      kk[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** clip8: arithmetic shift right by PRECISION_BITS, then clamp to [0, 255]. */
function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: RgbImage, outW: number, c: Coeffs): RgbImage {
  const { width: inW, height } = src;
  const out = new Uint8Array(outW * height * 3);
  for (let y = 0; y < height; y++) {
    const row = y * inW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = c.bounds[xx * 2]!,
        xmax = c.bounds[xx * 2 + 1]!,
        k0 = xx * c.ksize;
      let s0 = HALF,
        s1 = HALF,
        s2 = HALF;
      for (let x = 0; x < xmax; x++) {
        const w = c.kk[k0 + x]!,
          p = row + (x + xmin) * 3;
        s0 += src.data[p]! * w;
        s1 += src.data[p + 1]! * w;
        s2 += src.data[p + 2]! * w;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outW, height, data: out };
}

function resampleVertical(src: RgbImage, outH: number, c: Coeffs): RgbImage {
  const { width } = src;
  const out = new Uint8Array(width * outH * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.bounds[yy * 2]!,
      ymax = c.bounds[yy * 2 + 1]!,
      k0 = yy * c.ksize;
    for (let xx = 0; xx < width; xx++) {
      let s0 = HALF,
        s1 = HALF,
        s2 = HALF;
      for (let y = 0; y < ymax; y++) {
        const w = c.kk[k0 + y]!,
          p = ((y + ymin) * width + xx) * 3;
        s0 += src.data[p]! * w;
        s1 += src.data[p + 1]! * w;
        s2 += src.data[p + 2]! * w;
      }
      const o = (yy * width + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width, height: outH, data: out };
}

/**
 * Image.resize((width, height), resample) for an RGB image. Horizontal pass first, rounded to uint8, then
 * vertical; a pass is skipped when its dimension is unchanged (so an identity resize returns a copy).
 * NEAREST (0) is not supported: Pillow routes it through an affine transform, not this resampler.
 */
export function resizePil(img: RgbImage, width: number, height: number, resample: number = PIL_RESAMPLE.BICUBIC): RgbImage {
  checkRgbImage(img, 'resizePil');
  const filter = filters[resample];
  if (!filter) throw new Error(`resizePil: resample ${resample} is not supported (use 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX or 5 HAMMING)`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizePil: target size ${width}x${height} must be positive integers`);
  }
  let out: RgbImage = img;
  if (width !== img.width) out = resampleHorizontal(out, width, precomputeCoeffs(img.width, width, filter));
  if (height !== img.height) out = resampleVertical(out, height, precomputeCoeffs(img.height, height, filter));
  return out === img ? { width, height, data: img.data.slice() } : out;
}

/** Pillow's bicubic resize, the CLIPImageProcessor default (resample 3). */
export function resizeBicubicPil(img: RgbImage, width: number, height: number): RgbImage {
  return resizePil(img, width, height, PIL_RESAMPLE.BICUBIC);
}
