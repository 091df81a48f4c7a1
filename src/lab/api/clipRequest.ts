/**
 * The lab API's CLIP types (re-exported by labApi.ts): where product images come from, what checking them
 * found, how CLIP rows are prepared, and a CLIP model's shape for the estimate. All structured-cloneable
 * (File objects included), so a CLIP TrainRequest is stored in IndexedDB as-is and replayed by Resume.
 */
import type { ClipScratchOptions } from '../../training/families/clip/clipScratch.ts';

export type { ClipShape } from '../../training/families/shapes.ts';

/** The user's choice of product images. */
export type ImageSource =
  /** the catalogue's image URLs (Chorus: img_500x500), fetched by the workers and cached in IndexedDB */
  | { kind: 'urls'; field?: string }
  /** a picked folder of `<product id>.jpg|jpeg|png|webp|gif` files */
  | { kind: 'files'; files: File[] };

/** The default image field of the Chorus catalogue. */
export const DEFAULT_IMAGE_FIELD = 'img_500x500';

/**
 * Images resolved to product ids: what a worker needs to load them without the corpus (the trainer gets the
 * subset its rows use). Entries are [product id, URL or File] pairs in corpus order.
 */
export type ResolvedImages = { kind: 'urls'; entries: [string, string][] } | { kind: 'files'; entries: [string, File][] };

export interface ImageFailureInfo {
  /** product id */
  key: string;
  /** why, naming the URL or file: "HTTP 404 …", "blocked (CORS or network) …", "cannot decode …" */
  reason: string;
}

export interface ImageSummary {
  /** searchable products (documents) */
  products: number;
  /** products with an image URL / a matching file */
  withImage: number;
  /** products without one, the first few ids listed */
  withoutImage: number;
  withoutImageIds: string[];
  /** images loaded and decoded so far (all of them after a full check) */
  checked: number;
  /** images usable for training and evaluation */
  ok: number;
  /** every image that could not be loaded, with the reason */
  failures: ImageFailureInfo[];
  /** picked files that match no product id */
  unmatchedFiles: string[];
  /** images answered from the IndexedDB cache (not fetched again) */
  fromCache: number;
}

/** CLIP training rows: product text ↔ product image (unsupervised) or judged query ↔ relevant product image (supervised). */
export interface ClipPrepare {
  mode: 'clip-unsupervised' | 'clip-supervised';
  /** caption template for unsupervised rows; default "{title} {supplier} {attr_t_product_type}" */
  template?: string;
  /** supervised: rating at or above which a judged product's image is a positive; default 2 */
  threshold?: number;
  /** supervised: share of queries held out for validation; default 0.2 */
  validation?: number;
  /** unsupervised: only the first N products with an image give rows; default all */
  maxProducts?: number;
  seed?: number;
}

/** A fresh random CLIP whose byte-level BPE merges are learned from the corpus texts (needs setData first); deterministic in `seed`. */
export type ClipScratchSpec = { kind: 'scratch-clip' } & ClipScratchOptions;

/** true for CLIP prepare requests (the pipeline sends them to clipPrepare.ts). */
export function isClipPrepare<T extends { mode: string }>(req: T | ClipPrepare): req is ClipPrepare {
  return req.mode === 'clip-unsupervised' || req.mode === 'clip-supervised';
}

/** What preparing CLIP rows returns (LabClient.prepare with a ClipPrepare). */
export interface ClipPreparedData {
  /** (caption or query, product id) pairs */
  rows: { text: string; image: string }[];
  loss: 'clip';
  /** the images of the rows' products, for the trainer */
  images: ResolvedImages;
  /** supervised: the held-out queries (evaluate with `queries: validationQueries`) */
  validationQueries?: string[];
  trainQueries?: string[];
  stats: Record<string, number>;
  warnings: string[];
}
