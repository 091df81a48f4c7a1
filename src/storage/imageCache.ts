/**
 * Product images kept in IndexedDB as the small blobs the server sent (a 500x500 JPEG is ~30 KB), keyed by
 * URL: the image check downloads each once, training and evaluation in either worker read them back, and
 * a reload or an offline session costs no request. Preprocessing depends on the model, so pixels are not
 * stored; decoding a cached blob is cheap next to the network.
 */
import { formatBytes, isQuotaError } from './errors.ts';
import type { ImageRecord, LabDb } from './schema.ts';

export async function cachedImage(db: LabDb, url: string): Promise<Blob | undefined> {
  return (await db.get('images', url))?.blob;
}

/**
 * Stores an image; best effort: a full quota only costs the offline copy, so it is reported through
 * `onWarning` instead of failing the check (the bytes are in memory and the image is used anyway).
 */
export async function storeImage(db: LabDb, url: string, blob: Blob, onWarning?: (message: string) => void): Promise<void> {
  const record: ImageRecord = { url, blob, size: blob.size, storedAt: Date.now() };
  try {
    await db.put('images', record);
  } catch (e) {
    onWarning?.(
      `${url} (${formatBytes(blob.size)}) was not kept for offline use: ${isQuotaError(e) ? 'browser storage is full' : (e as Error).message}`,
    );
  }
}

/** Count and bytes of the cached images (shown with the storage use). */
export async function imageCacheUsage(db: LabDb): Promise<{ images: number; bytes: number }> {
  let bytes = 0;
  let images = 0;
  for (let c = await db.transaction('images').store.openCursor(); c; c = await c.continue()) {
    images++;
    bytes += c.value.size;
  }
  return { images, bytes };
}

export async function clearImageCache(db: LabDb): Promise<void> {
  await db.clear('images');
}
