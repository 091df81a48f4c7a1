/**
 * The lab's product images in a worker: image URLs fetched once and cached as blobs in IndexedDB (the
 * `images` store), picked files read directly, and both decoded with createImageBitmap (H2's
 * decodeImageBlob, off the main thread). The failure reasons follow urlImageProvider's wording: a 404 is
 * "not found", a CORS refusal or network error is "request failed … (CORS) or is unreachable".
 */
import { LabImageSet, type ImageBytesFetcher } from '../lab/labImageSet.ts';
import { cachedImage, storeImage } from '../storage/imageCache.ts';
import type { LabDb } from '../storage/index.ts';
import type { ResolvedImages } from '../lab/api/clipRequest.ts';
import { decodeImageBlob } from './images/decodeImageBlob.ts';

export interface BrowserImageOptions {
  /** the lab database (image cache); undefined when IndexedDB is unavailable: every image is fetched */
  db?: () => Promise<LabDb | undefined>;
  fetch?: typeof fetch;
  onWarning?: (message: string) => void;
}

function urlFetcher(urls: Map<string, string>, opts: BrowserImageOptions): ImageBytesFetcher {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async (key, signal) => {
    const url = urls.get(key)!;
    const db = await opts.db?.().catch(() => undefined);
    const hit = db && (await cachedImage(db, url).catch(() => undefined));
    if (hit) return { data: hit, cached: true };
    let res: Response;
    try {
      res = await doFetch(url, { mode: 'cors', credentials: 'omit', signal });
    } catch (e) {
      signal?.throwIfAborted();
      if ((e as Error).name === 'AbortError') throw e;
      throw new Error(`${url}: request failed (${(e as Error).message}): the server refused cross-origin access (CORS) or is unreachable`, {
        cause: e,
      });
    }
    if (res.status === 404 || res.status === 410) throw new Error(`${url}: not found (HTTP ${res.status})`);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
    const blob = await res.blob();
    if (db) await storeImage(db, url, blob, opts.onWarning);
    return { data: blob, cached: false };
  };
}

export function browserImageSet(images: ResolvedImages, opts: BrowserImageOptions = {}): LabImageSet {
  const fetchBytes: ImageBytesFetcher =
    images.kind === 'urls'
      ? urlFetcher(new Map(images.entries), opts)
      : (() => {
          const files = new Map(images.entries);
          return async (key) => ({ data: files.get(key)!, cached: false });
        })();
  return new LabImageSet(images, fetchBytes, (data, where) =>
    decodeImageBlob(data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]), where),
  );
}
