/**
 * Product images for CLIP (Data step): the catalogue's image URLs or a picked folder of `<product id>.<ext>`
 * files. Checking hands the choice to the pipeline worker, which fetches (through its IndexedDB cache) and
 * decodes every image off the main thread; the summary counts products with and without an image and lists
 * every failure with its reason. Thumbnails of picked files are object URLs made here, on demand.
 */
import type { ImageSource, ImageSummary } from '../../lab/api/clipRequest.ts';
import { DEFAULT_IMAGE_FIELD } from '../../lab/api/clipRequest.ts';
import type { Progress } from '../../lab/api/labApi.ts';
import { CancellableTask } from './cancellableTask.svelte.ts';

export interface ImagesClient {
  setImages(source: ImageSource, signal?: AbortSignal): Promise<ImageSummary>;
  checkImages(onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<ImageSummary>;
}

export interface ImagesDeps {
  client: ImagesClient;
  /** URL.createObjectURL, injectable for tests */
  objectUrl?: (f: File) => string;
}

const imageExt = /\.(jpe?g|png|webp|gif)$/i;

export class ImagesState extends CancellableTask {
  kind = $state<'urls' | 'files'>('urls');
  field = $state(DEFAULT_IMAGE_FIELD);
  files = $state.raw<File[]>([]);

  summary = $state.raw<ImageSummary | null>(null);
  /** the source the summary is for (runs store it; Resume checks it again) */
  checked = $state.raw<ImageSource | null>(null);

  ready = $derived(this.summary !== null && this.summary.ok > 0);
  imageFiles = $derived(this.files.filter((f) => imageExt.test(f.name)));

  readonly deps: ImagesDeps;
  #urls = new Map<string, string>();

  constructor(deps: ImagesDeps) {
    super();
    this.deps = deps;
  }

  choose(kind: 'urls' | 'files'): void {
    this.kind = kind;
    this.error = null;
  }

  setFiles(files: File[]): void {
    this.files = files;
    this.error = null;
  }

  source(): ImageSource {
    return this.kind === 'urls' ? { kind: 'urls', field: this.field.trim() || DEFAULT_IMAGE_FIELD } : { kind: 'files', files: [...this.imageFiles] };
  }

  /** Sets the source in the workers and loads every image once; false when it failed (see `error`). */
  async check(source: ImageSource = this.source()): Promise<boolean> {
    if (source.kind === 'files' && !source.files.length) {
      this.error = 'The chosen folder has no .jpg, .jpeg, .png, .webp or .gif file.';
      return false;
    }
    this.summary = null;
    return this.runCancellable(async (signal) => {
      await this.deps.client.setImages(source, signal);
      const summary = await this.deps.client.checkImages((p) => this.progress.report(p), signal);
      this.progress.finishAll();
      this.summary = summary;
      this.checked = source;
      if (!summary.ok)
        this.error = summary.withImage ? 'No image could be loaded: see the reasons below.' : 'No product has an image in this source.';
      return summary.ok > 0;
    });
  }

  /** Where the playground shows a product's image: its picked file, else its image URL field. */
  imageUrl(id: string, fields: Record<string, string>): string | undefined {
    const src = this.checked;
    if (src?.kind === 'files') {
      const file = src.files.find((f) => f.name.slice(0, f.name.lastIndexOf('.')) === id);
      if (!file) return undefined;
      let url = this.#urls.get(file.name);
      if (!url) this.#urls.set(file.name, (url = (this.deps.objectUrl ?? URL.createObjectURL)(file)));
      return url;
    }
    return fields[src?.kind === 'urls' ? (src.field ?? DEFAULT_IMAGE_FIELD) : DEFAULT_IMAGE_FIELD] ?? fields.img_thumb;
  }
}
