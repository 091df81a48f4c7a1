import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../src/cli/folderSource.ts';
import {
  StorageFullError,
  appendRunEvent,
  createRun,
  deleteRun,
  getRun,
  idbCheckpointStore,
  listCheckpoints,
  listRunEvents,
  type LabDb,
} from '../../src/storage/index.ts';
import { loadSentenceEncoder } from '../../src/training/families/registry.ts';
import type { Checkpoint, CheckpointStore } from '../../src/training/train/checkpoint.ts';
import { train } from '../../src/training/train/trainLoop.ts';
import { makeTinyModel, tinyCorpus } from '../helpers/fixtures.ts';
import { failNextPut, freshLabDb } from '../helpers/storageFakes.ts';

const freshDb = () => freshLabDb('checkpoint-test');

/** Checkpoints handed to the store by a real training run (the originals, before any serialization). */
const saved: Checkpoint[] = [];
let db: LabDb;
const runId = 'run-1';

beforeAll(async () => {
  db = await freshDb();
  await createRun(db, { id: runId, name: 'tiny', config: {} });
  const enc = await loadSentenceEncoder(folderSource(await makeTinyModel()), { dropout: 0.1 });
  const idb = idbCheckpointStore(db, runId);
  const capture: CheckpointStore = {
    save: async (c) => {
      saved.push(c);
      await idb.save(c);
    },
    loadLatest: () => idb.loadLatest(),
  };
  const rows = tinyCorpus.slice(0, 6).map((positive, i) => ({ query: positive.split(' ').slice(0, 2).join(' ') + i, positive }));
  await train(enc, rows, { loss: 'mnrl', batchSize: 3, steps: 3, lr: 1e-3, seed: 3, checkpointEverySteps: 1 }, { store: capture });
  enc.dispose();
});

describe('idbCheckpointStore', () => {
  it('loads back exactly the checkpoint the training loop saved, keeping the newest two', async () => {
    expect(saved.map((c) => c.step)).toEqual([1, 2, 3]);
    const loaded = await idbCheckpointStore(db, runId).loadLatest();
    const original = saved[2]!;
    expect(loaded).toEqual(original);
    expect(loaded!.weights.size).toBeGreaterThan(10);
    expect(loaded!.optimizer.m.size).toBe(original.optimizer.m.size);
    expect((await listCheckpoints(db, runId)).map((c) => c.step)).toEqual([2, 3]);
    expect((await getRun(db, runId))!.checkpointStep).toBe(3);
    expect(await idbCheckpointStore(db, 'no-such-run').loadLatest()).toBeUndefined();
  });

  it('on a full disk keeps the previous checkpoint intact and names what failed', async () => {
    const next: Checkpoint = { ...saved[2]!, step: 4 };
    const restore = failNextPut('checkpoints', (v) => v.step === 4);
    let err: unknown;
    try {
      err = await idbCheckpointStore(db, runId)
        .save(next)
        .catch((e) => e);
    } finally {
      restore();
    }
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(
      /storage is full: could not save the checkpoint of run run-1 at step 4 \(.*\)\. The previous checkpoint \(step 3\) is kept/,
    );
    // the whole transaction rolled back: no step 4, step 2 not pruned, run record untouched
    expect((await listCheckpoints(db, runId)).map((c) => c.step)).toEqual([2, 3]);
    expect((await getRun(db, runId))!.checkpointStep).toBe(3);
    expect(await idbCheckpointStore(db, runId).loadLatest()).toEqual(saved[2]);
    // and the store works again once there is room
    await idbCheckpointStore(db, runId).save(next);
    expect((await listCheckpoints(db, runId)).map((c) => c.step)).toEqual([3, 4]);
  });

  it('falls back to the previous checkpoint when the newest is damaged', async () => {
    const other = await freshDb();
    const store = idbCheckpointStore(other, 'r', { onWarning: (m) => warnings.push(m) });
    const warnings: string[] = [];
    await store.save(saved[0]!);
    await other.put('checkpoints', { runId: 'r', step: 9, savedAt: 0, json: '{"format":"other"}', tensors: new Blob([]), size: 0 });
    expect((await store.loadLatest())!.step).toBe(1);
    expect(warnings[0]).toMatch(/run r at step 9 is damaged.*using the one at step 1/);
    other.close();
  });

  it('deleting a run removes its events and checkpoints, and only its own', async () => {
    const d = await freshDb();
    for (const id of ['a', 'b']) {
      await createRun(d, { id, name: id, config: {} });
      await appendRunEvent(d, id, { type: 'step', step: 1 });
      await idbCheckpointStore(d, id).save(saved[0]!);
    }
    await deleteRun(d, 'a');
    expect(await getRun(d, 'a')).toBeUndefined();
    expect(await listRunEvents(d, 'a')).toEqual([]);
    expect(await listCheckpoints(d, 'a')).toEqual([]);
    expect(await d.count('checkpoints')).toBe(1);
    expect((await listRunEvents(d, 'b')).length).toBe(1);
    expect((await idbCheckpointStore(d, 'b').loadLatest())!.step).toBe(1);
    d.close();
  });
});
