/**
 * The pipeline worker's product images, environment-free: the user's image source resolved to product ids,
 * checked once (loaded and decoded, failures listed with their URL or file, never thrown), and what the
 * text-image families need from them: the usable products for an image index and the images a trainer needs.
 */
import type { ClipRow } from '../training/data/clipRows.ts';
import type { ClipImageConfig } from '../training/images/clipImageProcessor.ts';
import type { ImageProvider } from '../training/images/imageProvider.ts';
import type { ProgressCallback } from './api/labApi.ts';
import type { ImageSource, ImageSummary, ResolvedImages } from './api/clipRequest.ts';
import type { LoadedLabData } from './labData.ts';
import { LabImageSet, pickImages, resolveImages, type ResolvedImageSource } from './labImageSet.ts';

export interface LabImagesEnv {
  /** how a worker loads images: fetch (IndexedDB-cached) + decode in the browser, memory in tests */
  imageSet(images: ResolvedImages): LabImageSet;
  /** page URL relative image URLs resolve against */
  baseUrl?: string;
}

const noImages = () => new Error('no product images yet: choose an image source in the Data step and check the images');

export class LabImages {
  private images?: { set: LabImageSet; resolved: ResolvedImageSource };

  constructor(private readonly env: LabImagesEnv) {}

  get ready(): boolean {
    return this.images !== undefined;
  }

  set(data: LoadedLabData, source: ImageSource): ImageSummary {
    const resolved = resolveImages(data.products, source, this.env.baseUrl);
    this.images = { set: this.env.imageSet(resolved.images), resolved };
    return this.summary(data);
  }

  /** A new corpus: the images were matched to the old one. */
  clear(): void {
    this.images = undefined;
  }

  /** Loads and decodes every image once; failures are listed, never thrown. */
  async check(data: LoadedLabData, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary> {
    if (!this.images) throw noImages();
    await this.images.set.check({ signal, onProgress: (done, total) => onProgress?.({ phase: 'images', done, total, unit: 'items' }) });
    return this.summary(data);
  }

  summary(data: LoadedLabData): ImageSummary {
    if (!this.images) throw noImages();
    const { set, resolved } = this.images;
    const failures = set.failures();
    return {
      products: data.products.length,
      withImage: set.keys().length,
      withoutImage: resolved.withoutImage.length,
      withoutImageIds: resolved.withoutImage.slice(0, 20),
      checked: set.checked,
      ok: set.checked - failures.length,
      failures,
      unmatchedFiles: resolved.unmatchedFiles.slice(0, 20),
      fromCache: set.fromCache,
    };
  }

  /** The images the trainer needs for `rows` (their keys only). */
  forRows(rows: readonly ClipRow[]): ResolvedImages {
    if (!this.images) throw noImages();
    return pickImages(
      this.images.resolved.images,
      rows.map((r) => r.image),
    );
  }

  /** The products whose image loaded, in corpus order. */
  usable(data: LoadedLabData): string[] {
    if (!this.images) throw noImages();
    const ok = new Set(this.images.set.usable());
    return data.ids.filter((id) => ok.has(id));
  }

  /** What an image index reads: the usable products and a provider preprocessing for `config`. */
  corpus(data: LoadedLabData, config: ClipImageConfig): { ids: string[]; provider: ImageProvider } {
    if (!this.images) throw noImages();
    return { ids: this.usable(data), provider: this.images.set.provider(config) };
  }
}
