/**
 * Checkpoints in IndexedDB. A save is one transaction that writes the new checkpoint, prunes old ones and
 * records the step on the run: if anything fails (quota, a closed tab) the whole transaction rolls back, so
 * the store never holds half a checkpoint and the previous one stays loadable.
 */
import { deserializeCheckpoint, serializeCheckpoint, type Checkpoint, type CheckpointStore } from '../training/train/checkpoint.ts';
import { bytesToBlob } from './compress.ts';
import { StorageFullError, formatBytes, isQuotaError } from './errors.ts';
import type { CheckpointRecord, LabDb } from './schema.ts';

export interface IdbCheckpointStoreOptions {
  /** checkpoints kept per run (the newest `keep`); default 2, so a damaged newest one still has a fallback */
  keep?: number;
  /** e.g. "the newest checkpoint is damaged, resuming from step 40" */
  onWarning?: (message: string) => void;
}

export interface CheckpointInfo {
  runId: string;
  step: number;
  savedAt: number;
  size: number;
}

const runRange = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

export function idbCheckpointStore(db: LabDb, runId: string, opts: IdbCheckpointStoreOptions = {}): CheckpointStore {
  const keep = Math.max(1, opts.keep ?? 2);
  return {
    async save(c: Checkpoint) {
      const s = serializeCheckpoint(c);
      const record: CheckpointRecord = {
        runId,
        step: c.step,
        savedAt: Date.now(),
        json: s.json,
        tensors: bytesToBlob(s.tensors),
        size: s.json.length + s.tensors.byteLength,
      };
      await saveCheckpointRecord(db, record, keep);
    },
    async loadLatest() {
      const records = await db.getAll('checkpoints', runRange(runId));
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i];
        try {
          return await decodeCheckpointRecord(r);
        } catch (e) {
          if (i === 0) throw e;
          opts.onWarning?.(
            `The checkpoint of run ${runId} at step ${r.step} is damaged (${(e as Error).message}); using the one at step ${records[i - 1].step}`,
          );
        }
      }
      return undefined;
    },
  };
}

/** Writes one checkpoint record atomically (new record + pruning + run.checkpointStep). */
export async function saveCheckpointRecord(db: LabDb, record: CheckpointRecord, keep = 2): Promise<void> {
  const { runId, step } = record;
  const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
  const done = tx.done;
  done.catch(() => {}); // observed below; avoid an unhandled rejection while the body is still running
  try {
    const store = tx.objectStore('checkpoints');
    // The new checkpoint first: pruning must never happen in a transaction whose write did not land.
    await store.put(record);
    const keys = await store.getAllKeys(runRange(runId));
    for (const k of keys.slice(0, Math.max(0, keys.length - keep))) await store.delete(k);
    const runs = tx.objectStore('runs');
    const run = await runs.get(runId);
    if (run) await runs.put({ ...run, checkpointStep: step, updatedAt: Math.max(Date.now(), run.updatedAt + 1) });
    await done;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      /* already aborted or committed */
    }
    const cause = tx.error ?? e;
    if (isQuotaError(cause) || isQuotaError(e)) {
      const previous = await latestCheckpointStep(db, runId).catch(() => undefined);
      throw new StorageFullError(
        `checkpoint of run ${runId} at step ${step} (${formatBytes(record.size)})`,
        previous === undefined
          ? 'No earlier checkpoint exists. Delete old runs, datasets or cached models to make room, then resume.'
          : `The previous checkpoint (step ${previous}) is kept. Delete old runs, datasets or cached models to make room, then resume.`,
        { cause },
      );
    }
    // eslint-disable-next-line preserve-caught-error -- tx.error is the real cause; e may only be the abort it led to
    throw new Error(`Could not save the checkpoint of run ${runId} at step ${step}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export async function decodeCheckpointRecord(r: CheckpointRecord): Promise<Checkpoint> {
  const tensors = new Uint8Array(await r.tensors.arrayBuffer());
  return deserializeCheckpoint({ json: r.json, tensors }, `checkpoint of run ${r.runId} at step ${r.step}`);
}

/** A run's checkpoints, oldest first (without their data). */
export async function listCheckpoints(db: LabDb, runId: string): Promise<CheckpointInfo[]> {
  const records = await db.getAll('checkpoints', runRange(runId));
  return records.map(({ runId: id, step, savedAt, size }) => ({ runId: id, step, savedAt, size }));
}

export async function latestCheckpointStep(db: LabDb, runId: string): Promise<number | undefined> {
  const keys = await db.getAllKeys('checkpoints', runRange(runId));
  return keys.at(-1)?.[1];
}

/** The newest checkpoint record as stored (for export). */
export async function latestCheckpointRecord(db: LabDb, runId: string): Promise<CheckpointRecord | undefined> {
  const c = await db.transaction('checkpoints').store.openCursor(runRange(runId), 'prev');
  return c?.value;
}

/** Removes a run's checkpoints (e.g. to restart it from scratch). */
export async function deleteCheckpoints(db: LabDb, runId: string): Promise<void> {
  const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
  await tx.objectStore('checkpoints').delete(runRange(runId));
  const run = await tx.objectStore('runs').get(runId);
  if (run) {
    const { checkpointStep: _drop, ...rest } = run;
    await tx.objectStore('runs').put(rest);
  }
  await tx.done;
}
