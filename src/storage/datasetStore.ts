/**
 * Datasets the user dropped or loaded (corpus files, queries, judgments, prepared training rows), stored
 * compressed so a reload or an offline session does not need them again.
 */
import { bytesToBlob, gunzipBlob, gzipToBlob, looksCompressed } from './compress.ts';
import { StorageFullError, formatBytes, isQuotaError } from './errors.ts';
import { newId, type DatasetKind, type DatasetRecord, type DatasetSummary, type LabDb } from './schema.ts';

/** A dataset without its blob, for lists. */
export type DatasetInfo = Omit<DatasetRecord, 'blob'>;

export interface SaveDatasetInput {
  name: string;
  kind: DatasetKind;
  /** the file's content; strings are stored as UTF-8 */
  data: string | Uint8Array;
  summary?: DatasetSummary;
  /** replace the dataset with this id (default: a new id) */
  id?: string;
}

const info = ({ blob: _blob, ...rest }: DatasetRecord): DatasetInfo => rest;

/** Compresses and stores a dataset; throws StorageFullError when the browser's quota is exhausted. */
export async function saveDataset(db: LabDb, input: SaveDatasetInput): Promise<DatasetInfo> {
  const bytes = typeof input.data === 'string' ? new TextEncoder().encode(input.data) : input.data;
  const raw = looksCompressed(input.name, bytes);
  const blob = raw ? bytesToBlob(bytes) : await gzipToBlob(bytes);
  const record: DatasetRecord = {
    id: input.id ?? newId(),
    name: input.name,
    kind: input.kind,
    createdAt: Date.now(),
    size: bytes.byteLength,
    storedSize: blob.size,
    encoding: raw ? 'none' : 'gzip',
    blob,
    summary: input.summary ?? {},
  };
  try {
    await db.put('datasets', record);
  } catch (e) {
    if (isQuotaError(e)) {
      throw new StorageFullError(
        `${input.kind} dataset "${input.name}" (${formatBytes(blob.size)})`,
        'Delete old runs, datasets or cached models to make room.',
        { cause: e },
      );
    }
    throw e;
  }
  return info(record);
}

/** Datasets, newest first; optionally only one kind. */
export async function listDatasets(db: LabDb, kind?: DatasetKind): Promise<DatasetInfo[]> {
  const all = kind ? await db.getAllFromIndex('datasets', 'byKind', kind) : await db.getAll('datasets');
  return all.map(info).sort((a, b) => b.createdAt - a.createdAt);
}

export async function getDatasetInfo(db: LabDb, id: string): Promise<DatasetInfo | undefined> {
  const r = await db.get('datasets', id);
  return r && info(r);
}

/** The dataset's original bytes. */
export async function loadDatasetBytes(db: LabDb, id: string): Promise<Uint8Array> {
  const r = await db.get('datasets', id);
  if (!r) throw new Error(`Dataset ${id} is not stored (it may have been deleted)`);
  return decodeDatasetBlob(r);
}

export async function loadDatasetText(db: LabDb, id: string): Promise<string> {
  return new TextDecoder().decode(await loadDatasetBytes(db, id));
}

export async function decodeDatasetBlob(r: Pick<DatasetRecord, 'blob' | 'encoding' | 'name'>): Promise<Uint8Array> {
  try {
    return r.encoding === 'none' ? new Uint8Array(await r.blob.arrayBuffer()) : await gunzipBlob(r.blob);
  } catch (e) {
    throw new Error(`Stored dataset "${r.name}" is damaged and cannot be read (${(e as Error).message}); load the file again`, { cause: e });
  }
}

export async function deleteDataset(db: LabDb, id: string): Promise<void> {
  await db.delete('datasets', id);
}
