import { PIL_RESAMPLE, resizePil } from './pilResize.ts';
import { checkRgbImage, type RgbImage } from './rgbImage.ts';

/**
 * Hugging Face CLIPImageProcessor (the PIL path): convert RGB -> resize -> centre crop -> rescale ->
 * normalize -> CHW. Field names follow preprocessor_config.json so exports round-trip.
 */
export interface ClipImageConfig {
  doResize: boolean;
  /** size.shortest_edge; ignored when resizeTo is set */
  shortestEdge: number;
  /** size {height, width}: a fixed output size instead of shortest-edge scaling */
  resizeTo?: { height: number; width: number };
  /** Pillow resample code; 3 (bicubic) when absent */
  resample?: number;
  doCenterCrop: boolean;
  cropHeight: number;
  cropWidth: number;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  /** decoders always produce RGB; kept so exports write back what was read */
  doConvertRgb: boolean;
}

// OPENAI_CLIP_MEAN / OPENAI_CLIP_STD from transformers.image_utils.
const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const PROCESSOR_TYPES = ['CLIPImageProcessor', 'CLIPImageProcessorFast', 'CLIPFeatureExtractor'];

/** CLIPImageProcessor's constructor defaults, with the model's image_size as resize and crop size. */
export function defaultClipImageConfig(imageSize = 224): ClipImageConfig {
  return {
    doResize: true,
    shortestEdge: imageSize,
    resample: PIL_RESAMPLE.BICUBIC,
    doCenterCrop: true,
    cropHeight: imageSize,
    cropWidth: imageSize,
    doRescale: true,
    rescaleFactor: 1 / 255,
    doNormalize: true,
    mean: [...CLIP_MEAN],
    std: [...CLIP_STD],
    doConvertRgb: true,
  };
}

function positiveInt(v: unknown, where: string, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new Error(`${where}: ${field} must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function bool(raw: Record<string, unknown>, key: string, dflt: boolean, where: string): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new Error(`${where}: ${key} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

function triple(raw: Record<string, unknown>, key: string, dflt: [number, number, number], where: string): [number, number, number] {
  const v = raw[key];
  if (v === undefined || v === null) return [...dflt];
  // A single number applies to every channel, as transformers' normalize accepts.
  if (typeof v === 'number' && Number.isFinite(v)) return [v, v, v];
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${where}: ${key} must be a list of 3 numbers (got ${JSON.stringify(v)})`);
  }
  return [v[0], v[1], v[2]];
}

/**
 * Reads a preprocessor_config.json object. `size` is an int (shortest edge, get_size_dict with
 * default_to_square=False), {shortest_edge} or {height, width}; `crop_size` an int or {height, width}.
 * Missing fields take CLIPImageProcessor's defaults; `where` names the file in errors.
 */
export function parseClipImageConfig(raw: unknown, where: string): ClipImageConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const type = r.image_processor_type ?? r.feature_extractor_type;
  if (type !== undefined && !PROCESSOR_TYPES.includes(String(type))) {
    throw new Error(`${where}: image processor "${String(type)}" is not supported (expected ${PROCESSOR_TYPES.join(', ')})`);
  }
  const c = defaultClipImageConfig();
  const size = r.size;
  if (typeof size === 'number') c.shortestEdge = positiveInt(size, where, 'size');
  else if (typeof size === 'object' && size !== null) {
    const s = size as Record<string, unknown>;
    if (s.shortest_edge !== undefined) c.shortestEdge = positiveInt(s.shortest_edge, where, 'size.shortest_edge');
    else if (s.height !== undefined && s.width !== undefined) {
      c.resizeTo = { height: positiveInt(s.height, where, 'size.height'), width: positiveInt(s.width, where, 'size.width') };
    } else throw new Error(`${where}: size must have shortest_edge or height and width (got ${JSON.stringify(size)})`);
  } else if (size !== undefined && size !== null) throw new Error(`${where}: size must be a number or an object (got ${JSON.stringify(size)})`);
  const crop = r.crop_size;
  if (typeof crop === 'number') c.cropHeight = c.cropWidth = positiveInt(crop, where, 'crop_size');
  else if (typeof crop === 'object' && crop !== null) {
    const s = crop as Record<string, unknown>;
    c.cropHeight = positiveInt(s.height, where, 'crop_size.height');
    c.cropWidth = positiveInt(s.width, where, 'crop_size.width');
  } else if (crop !== undefined && crop !== null) throw new Error(`${where}: crop_size must be a number or an object (got ${JSON.stringify(crop)})`);
  if (r.resample !== undefined && r.resample !== null) {
    if (!Object.values(PIL_RESAMPLE).includes(r.resample as 3)) {
      throw new Error(`${where}: resample ${JSON.stringify(r.resample)} is not supported (1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING)`);
    }
    c.resample = r.resample as number;
  }
  c.doResize = bool(r, 'do_resize', true, where);
  c.doCenterCrop = bool(r, 'do_center_crop', true, where);
  c.doRescale = bool(r, 'do_rescale', true, where);
  c.doNormalize = bool(r, 'do_normalize', true, where);
  c.doConvertRgb = bool(r, 'do_convert_rgb', true, where);
  if (r.rescale_factor !== undefined && r.rescale_factor !== null) {
    if (typeof r.rescale_factor !== 'number' || !Number.isFinite(r.rescale_factor)) throw new Error(`${where}: rescale_factor must be a number`);
    c.rescaleFactor = r.rescale_factor;
  }
  c.mean = triple(r, 'image_mean', CLIP_MEAN, where);
  c.std = triple(r, 'image_std', CLIP_STD, where);
  if (c.std.some((s) => s === 0)) throw new Error(`${where}: image_std must not contain 0`);
  return c;
}

/** preprocessor_config.json for an export, readable by transformers, transformers.js and parseClipImageConfig. */
export function clipImageConfigJson(c: ClipImageConfig): Record<string, unknown> {
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: c.doResize,
    size: c.resizeTo ? { ...c.resizeTo } : { shortest_edge: c.shortestEdge },
    resample: c.resample ?? PIL_RESAMPLE.BICUBIC,
    do_center_crop: c.doCenterCrop,
    crop_size: { height: c.cropHeight, width: c.cropWidth },
    do_rescale: c.doRescale,
    rescale_factor: c.rescaleFactor,
    do_normalize: c.doNormalize,
    image_mean: [...c.mean],
    image_std: [...c.std],
    do_convert_rgb: c.doConvertRgb,
  };
}

/** get_resize_output_image_size: the short side becomes `size`, the long side int(size * long / short). */
export function clipResizeSize(width: number, height: number, c: ClipImageConfig): { width: number; height: number } {
  if (c.resizeTo) return { ...c.resizeTo };
  const s = c.shortestEdge;
  return width <= height ? { width: s, height: Math.trunc((s * height) / width) } : { width: Math.trunc((s * width) / height), height: s };
}

/** The [channels, height, width] shape preprocessClipImage returns for any input. */
export function clipPixelShape(c: ClipImageConfig, width?: number, height?: number): [number, number, number] {
  if (c.doCenterCrop) return [3, c.cropHeight, c.cropWidth];
  if (width === undefined || height === undefined) throw new Error('clipPixelShape: without centre crop the shape depends on the image size');
  if (!c.doResize) return [3, height, width];
  const r = clipResizeSize(width, height, c);
  return [3, r.height, r.width];
}

/**
 * RgbImage -> Float32Array [3, H, W] exactly as CLIPImageProcessor computes it: the crop offset is
 * floor((size - crop) / 2), pixels outside a too-small image are zero (before rescale), rescale is a
 * float64 product rounded to float32, and normalize runs in float32 ((x - mean) / std, each rounded).
 */
export function preprocessClipImage(img: RgbImage, c: ClipImageConfig): Float32Array {
  checkRgbImage(img, 'preprocessClipImage');
  let im = img;
  if (c.doResize) {
    const r = clipResizeSize(img.width, img.height, c);
    im = resizePil(img, r.width, r.height, c.resample ?? PIL_RESAMPLE.BICUBIC);
  }
  const H = c.doCenterCrop ? c.cropHeight : im.height;
  const W = c.doCenterCrop ? c.cropWidth : im.width;
  const top = Math.floor((im.height - H) / 2);
  const left = Math.floor((im.width - W) / 2);
  const mean = c.mean.map(Math.fround),
    std = c.std.map(Math.fround);
  const out = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) {
    const sy = y + top;
    for (let x = 0; x < W; x++) {
      const sx = x + left;
      const inside = sy >= 0 && sy < im.height && sx >= 0 && sx < im.width;
      for (let ch = 0; ch < 3; ch++) {
        let v = inside ? im.data[(sy * im.width + sx) * 3 + ch]! : 0;
        if (c.doRescale) v = Math.fround(v * c.rescaleFactor);
        // float32 operands: a double op then fround equals the float32 op (double has > 2 * 24 + 2 bits).
        if (c.doNormalize) v = Math.fround(Math.fround(v - mean[ch]!) / std[ch]!);
        out[(ch * H + y) * W + x] = v;
      }
    }
  }
  return out;
}
