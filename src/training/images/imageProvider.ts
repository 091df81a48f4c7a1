/**
 * Where CLIP training and evaluation get preprocessed product images from: a folder (CLI, sharp) or product
 * image URLs (lab, createImageBitmap). Environment-free so training code runs in Node and in workers alike.
 * One bad image never stops a batch: it is recorded in failures() with the reason, and has() turns false.
 */
export interface ImageFailure {
  /** the image key (product id) */
  key: string;
  /** what went wrong, naming the file or URL */
  reason: string;
}

export interface ImageProvider {
  /** true when the key has an image that has not (yet) failed to load */
  has(key: string): boolean;
  /** every key with an image, in a stable order */
  keys(): string[];
  /** preprocessed CHW float32 pixels (the shape of the ClipImageConfig); rejects with ImageUnavailableError or AbortError */
  pixels(key: string, signal?: AbortSignal): Promise<Float32Array>;
  /** images that could not be loaded so far, one entry per key */
  failures(): ImageFailure[];
}

/** The rejection of pixels() for a key without a usable image; failures() lists it too. */
export class ImageUnavailableError extends Error {
  override name = 'ImageUnavailableError';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`image "${key}": ${reason}`);
  }
}

/** A least-recently-used cache bounded by total size (e.g. bytes), so a long epoch cannot exhaust memory. */
export class LruCache<V> {
  private entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  constructor(
    readonly maxSize: number,
    private sizeOf: (v: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.entries.size;
  }
  get totalSize(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Map keeps insertion order: re-inserting moves the key to the most recent end.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: V): void {
    this.delete(key);
    const size = this.sizeOf(value);
    // An entry larger than the whole budget is not cached at all rather than evicting everything.
    if (size > this.maxSize) return;
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxSize) break;
      this.entries.delete(k);
      this.total -= e.size;
    }
  }

  delete(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    this.total -= e.size;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('image loading was aborted');
  e.name = 'AbortError';
  return e;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export interface PixelsBatch {
  /** one entry per requested key, null where the image is unavailable */
  pixels: (Float32Array | null)[];
  /** in request order */
  failures: ImageFailure[];
}

/**
 * Loads many keys with at most `concurrency` in flight. Unavailable images become null + a failure entry;
 * only an abort (or a programming error) rejects, so a caller can drop the rows whose image failed.
 */
export async function loadPixelsBatch(
  provider: ImageProvider,
  keys: string[],
  opts: { signal?: AbortSignal; concurrency?: number } = {},
): Promise<PixelsBatch> {
  const pixels: (Float32Array | null)[] = new Array<Float32Array | null>(keys.length).fill(null);
  const failed: (ImageFailure & { i: number })[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      throwIfAborted(opts.signal);
      const i = next++;
      const key = keys[i]!;
      try {
        pixels[i] = await provider.pixels(key, opts.signal);
      } catch (e) {
        if (!(e instanceof ImageUnavailableError)) throw e;
        failed.push({ i, key, reason: e.reason });
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, keys.length));
  await Promise.all(Array.from({ length: n }, worker));
  throwIfAborted(opts.signal);
  // Request order, not completion order, so reports are reproducible.
  const failures = failed.sort((a, b) => a.i - b.i).map(({ key, reason }) => ({ key, reason }));
  return { pixels, failures };
}
