import { ImageUnavailableError, LruCache, throwIfAborted, type ImageFailure, type ImageProvider } from './imageProvider.ts';

export interface CachingProviderOptions {
  /** cache budget for preprocessed pixels in bytes (default 256 MiB, about 430 images at 224 x 224) */
  maxCacheBytes?: number;
}

/**
 * Loads one key's preprocessed pixels. Throw ImageUnavailableError (or any non-abort error) for a bad
 * image: it becomes a failure, not a crash. Rethrow AbortError untouched.
 */
export type PixelLoader = (key: string, signal?: AbortSignal) => Promise<Float32Array>;

/**
 * The shared ImageProvider machinery of the folder and URL providers: an LRU of preprocessed pixels,
 * one in-flight load per key (a batch asking twice decodes once), and failures remembered so a broken
 * file is reported once and never retried within a run.
 */
export function cachingImageProvider(keys: string[], load: PixelLoader, opts: CachingProviderOptions = {}): ImageProvider {
  const known = new Set(keys);
  const cache = new LruCache<Float32Array>(opts.maxCacheBytes ?? 256 * 2 ** 20, (p) => p.byteLength);
  // Each load has its own controller, aborted only when every caller waiting on it has given up, so a
  // shared load (two batches asking for one key) survives one caller's abort but a lone fetch is cancelled.
  const inFlight = new Map<string, { promise: Promise<Float32Array>; ctrl: AbortController; waiters: number }>();
  const failed = new Map<string, string>();

  const start = (key: string) => {
    const ctrl = new AbortController();
    const promise = load(key, ctrl.signal)
      .then((px) => {
        cache.set(key, px);
        return px;
      })
      .catch((e: unknown) => {
        if (e instanceof Error && e.name === 'AbortError') throw e;
        const reason = e instanceof ImageUnavailableError ? e.reason : e instanceof Error ? e.message : String(e);
        failed.set(key, reason);
        throw new ImageUnavailableError(key, reason);
      })
      .finally(() => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      });
    promise.catch(() => {}); // waiters that aborted no longer listen; the rejection is theirs to ignore
    const entry: { promise: Promise<Float32Array>; ctrl: AbortController; waiters: number } = { promise, ctrl, waiters: 0 };
    inFlight.set(key, entry);
    return entry;
  };

  return {
    has: (key) => known.has(key) && !failed.has(key),
    keys: () => [...keys],
    failures: (): ImageFailure[] => [...failed].map(([key, reason]) => ({ key, reason })),
    async pixels(key, signal) {
      throwIfAborted(signal);
      if (!known.has(key)) throw new ImageUnavailableError(key, 'no image for this key');
      const reason = failed.get(key);
      if (reason !== undefined) throw new ImageUnavailableError(key, reason);
      const hit = cache.get(key);
      if (hit) return hit;
      const entry = inFlight.get(key) ?? start(key);
      entry.waiters++;
      if (!signal) return entry.promise;
      return new Promise<Float32Array>((resolve, reject) => {
        const onAbort = () => {
          try {
            throwIfAborted(signal);
          } catch (e) {
            reject(e as Error);
          }
          if (--entry.waiters > 0) return;
          // Forget the cancelled load at once, so a caller arriving now starts a fresh one.
          if (inFlight.get(key) === entry) inFlight.delete(key);
          entry.ctrl.abort(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
  };
}
