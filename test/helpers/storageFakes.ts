import type { ModelSource } from '../../src/training/source/modelSource.ts';
import { ModelSourceError } from '../../src/training/source/modelSource.ts';
import { openLabDb, type LabDb } from '../../src/storage/index.ts';
import type { LockManagerLike } from '../../src/storage/runLock.ts';

let databases = 0;

/** A database name not used before in this process (fake-indexeddb keeps every database until the process ends). */
export const uniqueDbName = (prefix: string): string => `${prefix}-${databases++}`;

/** A new, empty lab database. Needs fake-indexeddb loaded. */
export const freshLabDb = (prefix: string): Promise<LabDb> => openLabDb(uniqueDbName(prefix));

// fake-indexeddb's object store writes through its internal _rawObjectStore.storeRecord
type FakeObjectStore = IDBObjectStore & { _rawObjectStore: { storeRecord: (...args: unknown[]) => unknown } };

/** Makes the next put into `storeName` whose value matches `when` fail inside IndexedDB the way a full disk does:
 *  the request errors with QuotaExceededError and the transaction aborts. Needs fake-indexeddb loaded. */
export function failNextPut(storeName: string, when: (value: Record<string, unknown>) => boolean): () => void {
  const proto = globalThis.IDBObjectStore.prototype;
  const put = proto.put;
  proto.put = function (this: FakeObjectStore, value: unknown, key?: IDBValidKey) {
    if (this.name !== storeName || !when(value as Record<string, unknown>)) return put.call(this, value, key);
    const raw = this._rawObjectStore;
    const real = raw.storeRecord;
    raw.storeRecord = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      return put.call(this, value, key);
    } finally {
      raw.storeRecord = real;
      proto.put = put;
    }
  };
  return () => {
    proto.put = put;
  };
}

/** A ModelSource over in-memory files that counts calls and can be switched offline. */
export function countingSource(files: Record<string, string | Uint8Array>, id = 'org/tiny') {
  const counts = { exists: 0, readBytes: 0 };
  const state = { offline: false };
  const bytes = (f: string) => {
    const v = files[f];
    if (v === undefined) throw new ModelSourceError(`${id}: ${f} not found (HTTP 404)`);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  };
  const net = () => {
    if (state.offline) throw new ModelSourceError(`cannot reach https://hub.example/${id} (fetch failed); check the network`);
  };
  const source: ModelSource = {
    id,
    async exists(f) {
      counts.exists++;
      net();
      return f in files;
    },
    async readBytes(f, onProgress) {
      counts.readBytes++;
      net();
      const b = bytes(f);
      const half = Math.floor(b.length / 2);
      onProgress?.(half, b.length);
      onProgress?.(b.length, b.length);
      return b;
    },
    async readText(f) {
      return new TextDecoder().decode(await this.readBytes(f));
    },
  };
  return { source, counts, state };
}

/** navigator.locks for one origin shared by several "tabs" (all holders of this object). */
export function fakeLocks(): LockManagerLike & { heldNames(): string[] } {
  const held = new Set<string>();
  return {
    async request(name, options, callback) {
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null);
        throw new Error('fake lock manager only supports ifAvailable');
      }
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })), pending: [] };
    },
    heldNames: () => [...held],
  };
}
