/**
 * The offline model cache: `cachedModelSource(inner, db)` is a ModelSource that answers from IndexedDB when
 * a file was downloaded before and otherwise reads `inner` (with its byte progress) and stores the result.
 * Absent files are remembered too, so loaders probing optional files (modules.json…) work offline.
 */
import type { ModelSource } from '../training/source/modelSource.ts';
import { bytesToBlob } from './compress.ts';
import { ModelNotCachedError, formatBytes, isQuotaError } from './errors.ts';
import type { LabDb, ModelFileRecord } from './schema.ts';

export interface CachedModelSourceOptions {
  /** the cache's name for the model (default inner.id); give a different one for a different endpoint/revision */
  cacheId?: string;
  /** non-fatal problems, e.g. a file that could not be cached because storage is full (the load goes on) */
  onWarning?: (message: string) => void;
  /** tells whether the browser is offline; default navigator.onLine === false */
  isOffline?: () => boolean;
}

export interface CachedModelInfo {
  modelId: string;
  files: string[];
  /** bytes stored */
  size: number;
  storedAt: number;
}

const keyOf = (modelId: string, file: string) => `${modelId}/${file}`;

const defaultOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

/** Network failures (as opposed to "file not found", which is an answer worth passing on). */
function isNetworkFailure(e: unknown, offline: boolean): boolean {
  if (offline) return true;
  const msg = (e as Error)?.message ?? '';
  return /cannot reach|failed to fetch|networkerror|network error|load failed|ECONNREFUSED|ENOTFOUND|fetch failed/i.test(msg);
}

export function cachedModelSource(inner: ModelSource, db: LabDb, opts: CachedModelSourceOptions = {}): ModelSource {
  const modelId = opts.cacheId ?? inner.id;
  const offline = opts.isOffline ?? defaultOffline;
  const inflight = new Map<string, Promise<Uint8Array>>();

  const store = async (file: string, bytes: Uint8Array | null) => {
    const record: ModelFileRecord = {
      key: keyOf(modelId, file),
      modelId,
      file,
      blob: bytes && bytesToBlob(bytes),
      size: bytes?.byteLength ?? 0,
      storedAt: Date.now(),
    };
    try {
      await db.put('modelFiles', record);
    } catch (e) {
      // The bytes are in memory and the load can go on; only the offline copy is missing.
      const why = isQuotaError(e) ? 'browser storage is full' : (e as Error).message;
      opts.onWarning?.(`${modelId}/${file} (${formatBytes(bytes?.byteLength)}) was not kept for offline use: ${why}`);
    }
  };

  const fail = (file: string, e: unknown): never => {
    if (isNetworkFailure(e, offline())) throw new ModelNotCachedError(modelId, file, e);
    throw e;
  };

  const download = async (file: string, onProgress?: (loaded: number, total?: number) => void) => {
    let bytes: Uint8Array;
    try {
      bytes = await inner.readBytes(file, onProgress);
    } catch (e) {
      return fail(file, e);
    }
    await store(file, bytes);
    return bytes;
  };

  return {
    id: inner.id,
    async exists(file) {
      const hit = await db.get('modelFiles', keyOf(modelId, file));
      if (hit) return hit.blob !== null;
      let found: boolean;
      try {
        found = await inner.exists(file);
      } catch (e) {
        return fail(file, e);
      }
      if (!found) await store(file, null);
      return found;
    },
    async readBytes(file, onProgress) {
      const hit = await db.get('modelFiles', keyOf(modelId, file));
      if (hit?.blob) {
        const bytes = new Uint8Array(await hit.blob.arrayBuffer());
        onProgress?.(bytes.byteLength, bytes.byteLength);
        return bytes;
      }
      // Concurrent reads of one file share a download; only the first caller sees byte progress.
      let p = inflight.get(file);
      if (!p) {
        p = download(file, onProgress).finally(() => inflight.delete(file));
        inflight.set(file, p);
      }
      return p;
    },
    async readText(file) {
      return new TextDecoder().decode(await this.readBytes(file));
    },
  };
}

/** Models in the cache with their files and stored size, largest first. */
export async function listCachedModels(db: LabDb): Promise<CachedModelInfo[]> {
  const byModel = new Map<string, CachedModelInfo>();
  for (let c = await db.transaction('modelFiles').store.openCursor(); c; c = await c.continue()) {
    const r = c.value;
    const m = byModel.get(r.modelId) ?? { modelId: r.modelId, files: [], size: 0, storedAt: 0 };
    if (r.blob) m.files.push(r.file);
    m.size += r.size;
    m.storedAt = Math.max(m.storedAt, r.storedAt);
    byModel.set(r.modelId, m);
  }
  return [...byModel.values()].sort((a, b) => b.size - a.size);
}

/** True when every listed file is cached (so the model loads offline). */
export async function isModelCached(db: LabDb, modelId: string, files: string[]): Promise<boolean> {
  for (const f of files) {
    const r = await db.get('modelFiles', keyOf(modelId, f));
    if (!r?.blob) return false;
  }
  return true;
}

/** Removes a model's cached files; returns the bytes freed. */
export async function deleteCachedModel(db: LabDb, modelId: string): Promise<number> {
  const tx = db.transaction('modelFiles', 'readwrite');
  let freed = 0;
  for (let c = await tx.store.index('byModel').openCursor(modelId); c; c = await c.continue()) {
    freed += c.value.size;
    await c.delete();
  }
  await tx.done;
  return freed;
}
