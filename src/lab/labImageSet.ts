/**
 * The lab's product images, environment-free: which products have an image (URL field or picked file), a
 * check that loads and decodes every one of them once (so failures are counted and listed up front, never
 * in the middle of a training batch), and an ImageProvider of the usable ones for a model's preprocessing.
 * Fetching (with its IndexedDB cache) and decoding are injected: the browser workers pass fetch +
 * createImageBitmap, tests pass in-memory images.
 */
import { indexImageFiles, indexImageUrls } from '../training/images/imageIndex.ts';
import { cachingImageProvider } from '../training/images/cachingImageProvider.ts';
import { preprocessClipImage, type ClipImageConfig } from '../training/images/clipImageProcessor.ts';
import { ImageUnavailableError, loadPixelsBatch, type ImageProvider } from '../training/images/imageProvider.ts';
import type { RgbImage } from '../training/images/rgbImage.ts';
import type { ImageSource, ResolvedImages } from './api/clipRequest.ts';
import { DEFAULT_IMAGE_FIELD } from './api/clipRequest.ts';

/** Raw image bytes of a key; `cached` when they came from the local cache rather than the network. */
export type ImageBytesFetcher = (key: string, signal?: AbortSignal) => Promise<{ data: Blob | Uint8Array; cached: boolean }>;
export type ImageDecoder = (data: Blob | Uint8Array, where: string) => Promise<RgbImage>;

export interface ResolvedImageSource {
  images: ResolvedImages;
  withoutImage: string[];
  unmatchedFiles: string[];
}

/** Product ids → URL (absolute, against `baseUrl`) or picked File; reports products without one and files matching none. */
export function resolveImages(
  products: readonly { id: string; fields: Record<string, unknown> }[],
  source: ImageSource,
  baseUrl?: string,
): ResolvedImageSource {
  if (source.kind === 'urls') {
    const idx = indexImageUrls(products, source.field ?? DEFAULT_IMAGE_FIELD, baseUrl);
    return { images: { kind: 'urls', entries: [...idx.urls] }, withoutImage: idx.missing, unmatchedFiles: [] };
  }
  const byName = new Map(source.files.map((f) => [f.name, f]));
  const idx = indexImageFiles(
    [...byName.keys()],
    products.map((p) => p.id),
  );
  return {
    images: { kind: 'files', entries: [...idx.files].map(([id, name]) => [id, byName.get(name)!]) },
    withoutImage: idx.missing,
    unmatchedFiles: idx.unmatched,
  };
}

/** Only the entries of `keys` (the trainer gets the images its rows use). */
export function pickImages(images: ResolvedImages, keys: Iterable<string>): ResolvedImages {
  const keep = new Set(keys);
  return images.kind === 'urls'
    ? { kind: 'urls', entries: images.entries.filter(([k]) => keep.has(k)) }
    : { kind: 'files', entries: images.entries.filter(([k]) => keep.has(k)) };
}

export class LabImageSet {
  private readonly ok = new Set<string>();
  private readonly failed = new Map<string, string>();
  private readonly where: Map<string, string>;
  /** images answered from the cache during checks */
  fromCache = 0;

  constructor(
    readonly images: ResolvedImages,
    private readonly fetchBytes: ImageBytesFetcher,
    private readonly decode: ImageDecoder,
  ) {
    this.where = new Map(images.entries.map(([k, v]) => [k, typeof v === 'string' ? v : v.name]));
  }

  keys(): string[] {
    return this.images.entries.map(([k]) => k);
  }

  /** the URL or file name of a key, for messages */
  describe(key: string): string {
    return this.where.get(key) ?? key;
  }

  get checked(): number {
    return this.ok.size + this.failed.size;
  }

  /** keys whose image loaded and decoded (every key until checked: unchecked ones are assumed usable) */
  usable(): string[] {
    return this.keys().filter((k) => !this.failed.has(k));
  }

  failures(): { key: string; reason: string }[] {
    return [...this.failed].map(([key, reason]) => ({ key, reason }));
  }

  /** Fetches and decodes one image; any failure but an abort becomes an ImageUnavailableError naming the URL or file. */
  private async load(key: string, signal?: AbortSignal, count = false): Promise<RgbImage> {
    try {
      const { data, cached } = await this.fetchBytes(key, signal);
      if (count && cached) this.fromCache++;
      return await this.decode(data, this.describe(key));
    } catch (e) {
      if ((e as Error).name === 'AbortError' || e instanceof ImageUnavailableError) throw e;
      const msg = (e as Error).message ?? String(e);
      throw new ImageUnavailableError(key, msg.includes(this.describe(key)) ? msg : `${this.describe(key)}: ${msg}`);
    }
  }

  /**
   * Loads and decodes every image not checked yet, `concurrency` at a time; a failure is recorded with its
   * reason, never thrown. Only an abort rejects (what was checked so far stays checked).
   */
  async check(opts: { signal?: AbortSignal; concurrency?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
    const todo = this.keys().filter((k) => !this.ok.has(k) && !this.failed.has(k));
    const total = this.keys().length;
    const probe = cachingImageProvider(
      todo,
      async (key, signal) => {
        await this.load(key, signal, true);
        this.ok.add(key);
        opts.onProgress?.(this.checked, total);
        return new Float32Array(0);
      },
      { maxCacheBytes: 0 },
    );
    const { failures } = await loadPixelsBatch(probe, todo, { signal: opts.signal, concurrency: opts.concurrency ?? 6 });
    for (const f of failures) this.failed.set(f.key, f.reason);
    opts.onProgress?.(this.checked, total);
  }

  /** Preprocessed pixels of the usable images for one model's CLIPImageProcessor settings. */
  provider(config: ClipImageConfig, maxCacheBytes?: number): ImageProvider {
    return cachingImageProvider(this.usable(), async (key, signal) => preprocessClipImage(await this.load(key, signal), config), { maxCacheBytes });
  }
}
