import { cachingImageProvider, type CachingProviderOptions } from '../../training/images/cachingImageProvider.ts';
import { preprocessClipImage, type ClipImageConfig } from '../../training/images/clipImageProcessor.ts';
import { ImageUnavailableError, throwIfAborted, type ImageProvider } from '../../training/images/imageProvider.ts';
import type { RgbImage } from '../../training/images/rgbImage.ts';
import { decodeImageBlob } from './decodeImageBlob.ts';

/** Why an image URL gave no image; 'blocked' is a CORS refusal or a network error (fetch cannot tell them apart). */
export type UrlFailureKind = 'notFound' | 'blocked' | 'http' | 'decode';

export interface UrlImageProviderOptions extends CachingProviderOptions {
  /** image requests (fetch + decode) in flight at once (default 6, a browser's per-host connection limit) */
  concurrency?: number;
  /** injectable for tests; defaults to the global fetch */
  fetch?: typeof fetch;
  /** injectable for tests; defaults to decodeImageBlob (createImageBitmap) */
  decode?: (blob: Blob, url: string) => Promise<RgbImage>;
}

export interface UrlImageProvider extends ImageProvider {
  /** failures so far by kind, for the lab's "n images could not be loaded" summary */
  failureCounts(): Record<UrlFailureKind, number>;
}

class UrlImageError extends ImageUnavailableError {
  constructor(
    key: string,
    reason: string,
    readonly kind: UrlFailureKind,
  ) {
    super(key, reason);
  }
}

/**
 * A counting semaphore: at most `n` holders. A finishing holder hands its slot straight to the next waiter,
 * so a newcomer cannot slip in between; a waiter whose signal aborts leaves the queue.
 */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> => {
    if (active < n) active++;
    else {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', stop);
          resolve();
        };
        const stop = () => {
          queue.splice(queue.indexOf(go), 1);
          try {
            throwIfAborted(signal);
          } catch (e) {
            reject(e as Error);
          }
        };
        queue.push(go);
        signal?.addEventListener('abort', stop, { once: true });
      });
    }
    try {
      throwIfAborted(signal);
      return await fn();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

/**
 * Product images fetched from their URLs (key = product id), decoded and preprocessed in the page or a
 * worker. A 404, a CORS refusal or an undecodable body is a failure listed with its URL and counted by kind;
 * it never rejects a batch (loadPixelsBatch turns it into a null). Aborting stops waiting and cancels fetches.
 */
export function urlImageProvider(urls: ReadonlyMap<string, string>, config: ClipImageConfig, opts: UrlImageProviderOptions = {}): UrlImageProvider {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const decode = opts.decode ?? decodeImageBlob;
  const run = limiter(Math.max(1, opts.concurrency ?? 6));
  const counts: Record<UrlFailureKind, number> = { notFound: 0, blocked: 0, http: 0, decode: 0 };

  const fetchOne = async (key: string, signal?: AbortSignal): Promise<Float32Array> => {
    const url = urls.get(key)!;
    const fail = (kind: UrlFailureKind, reason: string): never => {
      counts[kind]++;
      throw new UrlImageError(key, `${url}: ${reason}`, kind);
    };
    let res: Response;
    try {
      res = await doFetch(url, { mode: 'cors', credentials: 'omit', signal });
    } catch (e) {
      throwIfAborted(signal);
      if (e instanceof Error && e.name === 'AbortError') throw e;
      return fail(
        'blocked',
        `request failed (${e instanceof Error ? e.message : String(e)}): the server refused cross-origin access (CORS) or is unreachable`,
      );
    }
    if (res.status === 404 || res.status === 410) return fail('notFound', `not found (HTTP ${res.status})`);
    if (!res.ok) return fail('http', `HTTP ${res.status} ${res.statusText}`.trim());
    const blob = await res.blob();
    throwIfAborted(signal);
    let img: RgbImage;
    try {
      img = await decode(blob, url);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return fail('decode', msg.startsWith(url) ? msg.slice(url.length + 2) : msg);
    }
    return preprocessClipImage(img, config);
  };

  const provider = cachingImageProvider([...urls.keys()], (key, signal) => run(signal, () => fetchOne(key, signal)), opts);
  return { ...provider, failureCounts: () => ({ ...counts }) };
}
