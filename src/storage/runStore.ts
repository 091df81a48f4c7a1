/**
 * Training runs: their record (config, status, metrics) and their event log (steps, evals, checkpoints…),
 * which the monitor replays after a reload.
 */
import { StorageFullError, isQuotaError } from './errors.ts';
import { newId, type LabDb, type RunRecord, type RunStatus } from './schema.ts';

export interface CreateRunInput<C> {
  name: string;
  config: C;
  /** default: a new random id */
  id?: string;
  datasetIds?: string[];
}

/** Fields a caller may change; `updatedAt` is set by updateRun. */
export type RunPatch<C = unknown> = Partial<Omit<RunRecord<C>, 'id' | 'createdAt' | 'updatedAt' | 'checkpointStep'>>;

/** A stored event: the caller's event plus its position and time. */
export interface StoredRunEvent<E = unknown> {
  seq: number;
  at: number;
  event: E;
}

async function guard<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(what, 'Delete old runs, datasets or cached models to make room.', { cause: e });
    throw e;
  }
}

let lastStamp = 0;
/** Strictly increasing within this page, so "most recently updated" never ties between two quick writes. */
function stamp(after = 0): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1, after + 1);
  return lastStamp;
}

export async function createRun<C>(db: LabDb, input: CreateRunInput<C>): Promise<RunRecord<C>> {
  const now = stamp();
  const run: RunRecord<C> = {
    id: input.id ?? newId(),
    name: input.name,
    createdAt: now,
    updatedAt: now,
    status: 'created',
    config: input.config,
    ...(input.datasetIds ? { datasetIds: input.datasetIds } : {}),
  };
  await guard(`new run "${input.name}"`, () => db.add('runs', run));
  return run;
}

/** Runs, most recently updated first. */
export async function listRuns<C = unknown>(db: LabDb): Promise<RunRecord<C>[]> {
  const all = await db.getAllFromIndex('runs', 'byUpdated');
  return all.reverse() as RunRecord<C>[];
}

export async function getRun<C = unknown>(db: LabDb, id: string): Promise<RunRecord<C> | undefined> {
  return (await db.get('runs', id)) as RunRecord<C> | undefined;
}

/** Applies a patch in one transaction (read-modify-write), returning the new record. */
export async function updateRun<C = unknown>(db: LabDb, id: string, patch: RunPatch<C>): Promise<RunRecord<C>> {
  return guard(`state of run ${id}`, async () => {
    const tx = db.transaction('runs', 'readwrite');
    const old = await tx.store.get(id);
    if (!old) {
      tx.abort();
      await tx.done.catch(() => {});
      throw new Error(`Run ${id} does not exist (it may have been deleted)`);
    }
    const next = { ...old, ...patch, id, createdAt: old.createdAt, updatedAt: stamp(old.updatedAt) } as RunRecord<C>;
    await tx.store.put(next);
    await tx.done;
    return next;
  });
}

export async function setRunStatus(db: LabDb, id: string, status: RunStatus, error?: string): Promise<RunRecord> {
  return updateRun(db, id, error === undefined ? { status } : { status, error });
}

/** Deletes a run with all its events and checkpoints, in one transaction. */
export async function deleteRun(db: LabDb, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'runEvents', 'checkpoints'], 'readwrite');
  const events = tx.objectStore('runEvents').index('byRun');
  for (let c = await events.openKeyCursor(id); c; c = await c.continue()) {
    await tx.objectStore('runEvents').delete(c.primaryKey);
  }
  await tx.objectStore('checkpoints').delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
  await tx.objectStore('runs').delete(id);
  await tx.done;
}

/** Appends events (one transaction); returns their sequence numbers. */
export async function appendRunEvents<E>(db: LabDb, runId: string, events: readonly E[]): Promise<number[]> {
  if (events.length === 0) return [];
  return guard(`event log of run ${runId}`, async () => {
    const tx = db.transaction('runEvents', 'readwrite');
    const at = Date.now();
    const seqs = await Promise.all(events.map((event) => tx.store.add({ runId, at, event })));
    await tx.done;
    return seqs;
  });
}

export async function appendRunEvent<E>(db: LabDb, runId: string, event: E): Promise<number> {
  return (await appendRunEvents(db, runId, [event]))[0];
}

/** A run's events in the order they were appended; `afterSeq` returns only newer ones. */
export async function listRunEvents<E = unknown>(db: LabDb, runId: string, opts: { afterSeq?: number } = {}): Promise<StoredRunEvent<E>[]> {
  const records = await db.getAllFromIndex('runEvents', 'byRun', runId);
  return records.filter((r) => opts.afterSeq === undefined || r.seq! > opts.afterSeq).map((r) => ({ seq: r.seq!, at: r.at, event: r.event as E }));
}

/**
 * After a reload or crash, runs still marked 'running' whose lock no tab holds were interrupted: they become
 * 'paused' (offered for Resume). `isHeld` comes from runLock.ts heldRunLocks().
 */
export async function recoverInterruptedRuns(db: LabDb, isHeld: (runId: string) => boolean): Promise<RunRecord[]> {
  const recovered: RunRecord[] = [];
  for (const run of await db.getAll('runs')) {
    if (run.status === 'running' && !isHeld(run.id)) recovered.push(await updateRun(db, run.id, { status: 'paused' }));
  }
  return recovered;
}
