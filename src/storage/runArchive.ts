/**
 * A run as one file: a zip (fflate) holding the run record, its event log, its newest checkpoint and the
 * datasets it references, so it can be moved to another browser and resumed there.
 *
 * Layout: manifest.json, run.json, events.jsonl, checkpoint/checkpoint.json + checkpoint/tensors.safetensors,
 * datasets/<id>.json + datasets/<id>.bin (stored bytes, encoding in the json), blobs/<n> (Files, Blobs and
 * typed arrays found inside the run's config or events; referenced from the JSON by {"$ftlab": …} markers).
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { latestCheckpointRecord } from './checkpointStore.ts';
import { StorageFullError, isQuotaError } from './errors.ts';
import { newId, type CheckpointRecord, type DatasetRecord, type LabDb, type RunRecord } from './schema.ts';

export const RUN_ARCHIVE_FORMAT = 'ftlab-run-archive-1';

export interface ImportRunOptions {
  /** when a run with the same id exists: 'new-id' (default) imports a copy, 'replace' overwrites it */
  onConflict?: 'new-id' | 'replace';
  /** name of the file, for messages */
  source?: string;
}

export type Files = Record<string, Uint8Array>;
const typedCtors = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  Uint8ClampedArray,
} as const;
type TypedName = keyof typeof typedCtors;

/** Structured-cloneable data → JSON-safe data, moving binary parts into `files` (exported for tests). */
export async function encodeValue(v: unknown, files: Files): Promise<unknown> {
  if (typeof v === 'number' && !Number.isFinite(v)) return { $ftlab: 'number', value: String(v) };
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Blob) {
    const path = `blobs/${Object.keys(files).filter((k) => k.startsWith('blobs/')).length}`;
    files[path] = new Uint8Array(await v.arrayBuffer());
    const f = v as Partial<File>;
    return { $ftlab: 'blob', path, type: v.type, ...(typeof f.name === 'string' ? { name: f.name, lastModified: f.lastModified } : {}) };
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    const path = `blobs/${Object.keys(files).filter((k) => k.startsWith('blobs/')).length}`;
    const view = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    files[path] = view.slice();
    const ctor = v instanceof ArrayBuffer ? 'ArrayBuffer' : v.constructor.name;
    return { $ftlab: 'binary', path, ctor };
  }
  if (v instanceof Date) return { $ftlab: 'date', value: v.toISOString() };
  if (v instanceof Map) return { $ftlab: 'map', entries: await encodeValue([...v], files) };
  if (v instanceof Set) return { $ftlab: 'set', values: await encodeValue([...v], files) };
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) out.push(await encodeValue(x, files));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = await encodeValue(x, files);
  return out;
}

export function decodeValue(v: unknown, files: Files, source: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, files, source));
  const o = v as Record<string, unknown>;
  const bytes = () => {
    const b = files[o.path as string];
    if (!b) throw new Error(`${source}: ${String(o.path)} is missing from the archive`);
    return b;
  };
  switch (o.$ftlab) {
    case 'number':
      return Number(o.value);
    case 'date':
      return new Date(o.value as string);
    case 'map':
      return new Map(decodeValue(o.entries, files, source) as [unknown, unknown][]);
    case 'set':
      return new Set(decodeValue(o.values, files, source) as unknown[]);
    case 'blob': {
      const part = new Uint8Array(bytes());
      return typeof o.name === 'string' && typeof File !== 'undefined'
        ? new File([part], o.name, { type: o.type as string, lastModified: o.lastModified as number })
        : new Blob([part], { type: o.type as string });
    }
    case 'binary': {
      const b = bytes();
      const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      if (o.ctor === 'ArrayBuffer') return buf;
      const Ctor = typedCtors[o.ctor as TypedName] ?? Uint8Array;
      return new Ctor(buf);
    }
    case undefined:
      break;
    default:
      throw new Error(`${source}: unknown value marker ${JSON.stringify(o.$ftlab)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x, files, source);
  return out;
}

const json = (v: unknown) => strToU8(JSON.stringify(v, null, 1));

/** The run, its events, newest checkpoint and datasets as a zip Blob. */
export async function exportRun(db: LabDb, runId: string): Promise<Blob> {
  const run = await db.get('runs', runId);
  if (!run) throw new Error(`Run ${runId} does not exist (it may have been deleted)`);
  const events = await db.getAllFromIndex('runEvents', 'byRun', runId);
  const checkpoint = await latestCheckpointRecord(db, runId);
  const datasets: DatasetRecord[] = [];
  for (const id of run.datasetIds ?? []) {
    const d = await db.get('datasets', id);
    if (d) datasets.push(d);
  }

  const blobs: Files = {};
  const zip: Zippable = {};
  zip['run.json'] = json(await encodeValue(run, blobs));
  const lines: string[] = [];
  for (const e of events) lines.push(JSON.stringify(await encodeValue({ at: e.at, event: e.event }, blobs)));
  zip['events.jsonl'] = strToU8(lines.join('\n'));
  if (checkpoint) {
    zip['checkpoint/checkpoint.json'] = json({ step: checkpoint.step, savedAt: checkpoint.savedAt, meta: checkpoint.json });
    zip['checkpoint/tensors.safetensors'] = [new Uint8Array(await checkpoint.tensors.arrayBuffer()), { level: 0 }];
  }
  for (const d of datasets) {
    const { blob, ...meta } = d;
    zip[`datasets/${d.id}.json`] = json(await encodeValue(meta, blobs));
    zip[`datasets/${d.id}.bin`] = [new Uint8Array(await blob.arrayBuffer()), { level: 0 }];
  }
  for (const [path, b] of Object.entries(blobs)) zip[path] = [b, { level: 1 }];
  zip['manifest.json'] = json({
    format: RUN_ARCHIVE_FORMAT,
    exportedAt: new Date().toISOString(),
    runId,
    name: run.name,
    events: events.length,
    checkpointStep: checkpoint?.step ?? null,
    datasets: datasets.map((d) => d.id),
  });
  return new Blob([zipSync(zip, { level: 6 }) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}

/** A file name for the download, e.g. "ftlab-run-my-run.zip". */
export function runArchiveFileName(run: Pick<RunRecord, 'name' | 'id'>): string {
  const slug =
    run.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || run.id;
  return `ftlab-run-${slug}.zip`;
}

/** Reads an exported run and stores it (one transaction: all of it or nothing). Returns the stored run. */
export async function importRun(db: LabDb, file: Blob | Uint8Array, opts: ImportRunOptions = {}): Promise<RunRecord> {
  const source = opts.source ?? (file instanceof File ? file.name : 'run archive');
  let files: Files;
  try {
    files = unzipSync(file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    throw new Error(`${source} is not a zip file (${(e as Error).message}); choose a file exported from the lab's run list`, { cause: e });
  }
  const readJson = (path: string): unknown => {
    if (!files[path]) throw new Error(`${source}: ${path} is missing; this is not a run exported by the lab`);
    try {
      return JSON.parse(strFromU8(files[path]));
    } catch (e) {
      throw new Error(`${source}: ${path} is not valid JSON (${(e as Error).message})`, { cause: e });
    }
  };
  const manifest = readJson('manifest.json') as { format?: unknown };
  if (manifest.format !== RUN_ARCHIVE_FORMAT) {
    throw new Error(`${source}: unsupported archive format ${JSON.stringify(manifest.format)} (expected ${RUN_ARCHIVE_FORMAT})`);
  }
  const run = decodeValue(readJson('run.json'), files, source) as RunRecord;
  if (typeof run?.id !== 'string' || typeof run.name !== 'string') throw new Error(`${source}: run.json has no run id or name`);
  const eventsText = files['events.jsonl'] ? strFromU8(files['events.jsonl']) : '';
  const events = eventsText
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return decodeValue(JSON.parse(l), files, source) as { at: number; event: unknown };
      } catch (e) {
        throw new Error(`${source}: events.jsonl line ${i + 1}: ${(e as Error).message}`, { cause: e });
      }
    });

  const exists = (await db.get('runs', run.id)) !== undefined;
  const copy = exists && (opts.onConflict ?? 'new-id') === 'new-id';
  const id = copy ? newId() : run.id;
  const stored: RunRecord = {
    ...run,
    id,
    name: copy ? `${run.name} (imported)` : run.name,
    status: run.status === 'running' ? 'paused' : run.status,
    updatedAt: Date.now(),
  };

  let checkpoint: CheckpointRecord | undefined;
  if (files['checkpoint/checkpoint.json']) {
    const c = readJson('checkpoint/checkpoint.json') as { step?: unknown; savedAt?: unknown; meta?: unknown };
    const tensors = files['checkpoint/tensors.safetensors'];
    if (typeof c.step !== 'number' || typeof c.meta !== 'string' || !tensors) throw new Error(`${source}: the checkpoint is incomplete`);
    const meta = JSON.parse(c.meta) as { format?: unknown; step?: unknown };
    if (meta.step !== c.step) throw new Error(`${source}: the checkpoint's step ${String(meta.step)} does not match ${c.step}`);
    checkpoint = {
      runId: id,
      step: c.step,
      savedAt: Number(c.savedAt) || Date.now(),
      json: c.meta,
      tensors: new Blob([new Uint8Array(tensors)]),
      size: c.meta.length + tensors.byteLength,
    };
    stored.checkpointStep = c.step;
  } else {
    delete stored.checkpointStep;
  }
  const datasets: DatasetRecord[] = [];
  for (const dsId of run.datasetIds ?? []) {
    if (!files[`datasets/${dsId}.json`]) continue;
    const meta = decodeValue(readJson(`datasets/${dsId}.json`), files, source) as Omit<DatasetRecord, 'blob'>;
    const bin = files[`datasets/${dsId}.bin`];
    if (!bin) throw new Error(`${source}: datasets/${dsId}.bin is missing`);
    datasets.push({ ...meta, blob: new Blob([new Uint8Array(bin)]) });
  }

  const tx = db.transaction(['runs', 'runEvents', 'checkpoints', 'datasets'], 'readwrite');
  const done = tx.done;
  done.catch(() => {});
  try {
    if (!copy && exists) {
      const ev = tx.objectStore('runEvents');
      for (let c = await ev.index('byRun').openKeyCursor(id); c; c = await c.continue()) await ev.delete(c.primaryKey);
      await tx.objectStore('checkpoints').delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
    }
    await tx.objectStore('runs').put(stored);
    for (const e of events) await tx.objectStore('runEvents').add({ runId: id, at: e.at, event: e.event });
    if (checkpoint) await tx.objectStore('checkpoints').put(checkpoint);
    for (const d of datasets) if (!(await tx.objectStore('datasets').getKey(d.id))) await tx.objectStore('datasets').add(d);
    await done;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
    const cause = tx.error ?? e;
    if (isQuotaError(cause))
      throw new StorageFullError(
        `imported run "${run.name}" from ${source}`,
        'Nothing was imported. Delete old runs, datasets or cached models to make room.',
        { cause },
      );
    throw cause;
  }
  return stored;
}
