/**
 * The lab's one IndexedDB database: a typed idb schema and `openLabDb`, which applies versioned upgrades.
 * Every store module (datasets, model cache, runs, checkpoints, archives) takes the `LabDb` this returns.
 *
 * Adding a version: append a migration to `migrations` (never edit an old one) and bump nothing else;
 * `LAB_DB_VERSION` is the number of migrations, so an old database runs exactly the steps it missed.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

export type DatasetKind = 'corpus' | 'queries' | 'judgments' | 'rows';

/** JSON-like summary shown in dataset lists (counts, rejected records…); plain data only. */
export type DatasetSummary = Record<string, unknown>;

export interface DatasetRecord {
  id: string;
  /** file name as dropped or bundled, e.g. "chorus-1.json.zip" */
  name: string;
  kind: DatasetKind;
  createdAt: number;
  /** bytes before compression */
  size: number;
  /** bytes stored (the blob's size) */
  storedSize: number;
  /** 'gzip': blob holds gzip of the original bytes; 'none': the original bytes (already-compressed files) */
  encoding: 'gzip' | 'none';
  blob: Blob;
  summary: DatasetSummary;
}

export interface ModelFileRecord {
  /** `${modelId}/${file}` */
  key: string;
  modelId: string;
  file: string;
  /** null records that the source answered "no such file", so optional files resolve offline too */
  blob: Blob | null;
  size: number;
  storedAt: number;
}

export type RunStatus = 'created' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export interface RunRecord<C = unknown> {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  /** what the run was started with (structured-cloneable plain data, e.g. labApi's TrainRequest) */
  config: C;
  metricsBefore?: Record<string, number>;
  metricsAfter?: Record<string, number>;
  error?: string;
  /** last known progress, for the run list */
  step?: number;
  totalSteps?: number;
  /** step of the newest stored checkpoint (kept in step with the checkpoints store, same transaction) */
  checkpointStep?: number;
  /** datasets the run needs (included in its export) */
  datasetIds?: string[];
}

export interface RunEventRecord {
  /** autoIncrement; orders events within a run */
  seq?: number;
  runId: string;
  at: number;
  event: unknown;
}

export interface CheckpointRecord {
  runId: string;
  step: number;
  savedAt: number;
  /** serializeCheckpoint().json */
  json: string;
  /** serializeCheckpoint().tensors (safetensors) */
  tensors: Blob;
  size: number;
}

/** A product image as the server sent it (storage/imageCache.ts), keyed by URL. */
export interface ImageRecord {
  url: string;
  blob: Blob;
  size: number;
  storedAt: number;
}

export interface LabDbSchema extends DBSchema {
  datasets: { key: string; value: DatasetRecord; indexes: { byKind: DatasetKind } };
  modelFiles: { key: string; value: ModelFileRecord; indexes: { byModel: string } };
  runs: { key: string; value: RunRecord; indexes: { byUpdated: number } };
  runEvents: { key: number; value: RunEventRecord; indexes: { byRun: string } };
  checkpoints: { key: [string, number]; value: CheckpointRecord; indexes: { byRun: string } };
  images: { key: string; value: ImageRecord };
}

export type LabDb = IDBPDatabase<LabDbSchema>;
export type LabStoreName = StoreNames<LabDbSchema>;
type UpgradeTx = IDBPTransaction<LabDbSchema, LabStoreName[], 'versionchange'>;

/**
 * Upgrade steps; migrations[i] takes a database from version i to i + 1. Version 1 shipped datasets, runs,
 * events and checkpoints; version 2 added the model file cache and the run list's sort index, and backfills
 * fields version 1 records lack (`updatedAt`, `storedSize`, `encoding`); version 3 added the product image cache.
 */
const migrations: ((db: LabDb, tx: UpgradeTx) => void | Promise<void>)[] = [
  (db) => {
    db.createObjectStore('datasets', { keyPath: 'id' }).createIndex('byKind', 'kind');
    db.createObjectStore('runs', { keyPath: 'id' });
    db.createObjectStore('runEvents', { keyPath: 'seq', autoIncrement: true }).createIndex('byRun', 'runId');
    db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] }).createIndex('byRun', 'runId');
  },
  async (db, tx) => {
    db.createObjectStore('modelFiles', { keyPath: 'key' }).createIndex('byModel', 'modelId');
    const runs = tx.objectStore('runs');
    runs.createIndex('byUpdated', 'updatedAt');
    for (let c = await runs.openCursor(); c; c = await c.continue()) {
      if (c.value.updatedAt === undefined) await c.update({ ...c.value, updatedAt: c.value.createdAt });
    }
    for (let c = await tx.objectStore('datasets').openCursor(); c; c = await c.continue()) {
      const v = c.value;
      if (v.storedSize === undefined || v.encoding === undefined) {
        await c.update({ ...v, storedSize: v.blob.size, encoding: v.encoding ?? 'gzip' });
      }
    }
  },
  // version 3: product images for CLIP (the blobs as fetched, keyed by URL)
  (db) => {
    db.createObjectStore('images', { keyPath: 'url' });
  },
];

export const LAB_DB_VERSION = migrations.length;
export const DEFAULT_DB_NAME = 'ftlab';

export interface OpenLabDbOptions {
  /** open at an older version (tests of upgrades); default LAB_DB_VERSION */
  version?: number;
  /** another tab holds an older version open and does not close it */
  onBlocked?: () => void;
  /** a newer version of the lab in another tab needs the database: this connection was closed (ask for a reload) */
  onClosedForUpgrade?: () => void;
}

/**
 * Opens (creating or upgrading) the lab database. A newer tab upgrading the schema makes this connection
 * close itself (`versionchange`), so tabs never deadlock on an upgrade.
 */
export async function openLabDb(name = DEFAULT_DB_NAME, opts: OpenLabDbOptions = {}): Promise<LabDb> {
  const version = opts.version ?? LAB_DB_VERSION;
  if (!Number.isInteger(version) || version < 1 || version > LAB_DB_VERSION) {
    throw new Error(`openLabDb: version ${version} is not between 1 and ${LAB_DB_VERSION}`);
  }
  if (typeof indexedDB === 'undefined') {
    throw new Error('This browser has no IndexedDB (private mode or an old browser?): datasets, models and runs cannot be stored');
  }
  let db: LabDb | undefined;
  try {
    db = await openDB<LabDbSchema>(name, version, {
      async upgrade(upgradeDb, oldVersion, newVersion, tx) {
        for (let v = oldVersion; v < (newVersion ?? version); v++) await migrations[v](upgradeDb, tx);
      },
      blocked: () => opts.onBlocked?.(),
      blocking: () => {
        db?.close();
        opts.onClosedForUpgrade?.();
      },
    });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'VersionError') {
      throw new Error(`The lab's stored data (database "${name}") was written by a newer version of the lab; reload the page to get it`, {
        cause: e,
      });
    }
    throw e;
  }
  return db;
}

/** A random id for runs and datasets. */
export function newId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
