import 'fake-indexeddb/auto';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  LAB_DB_VERSION,
  ModelNotCachedError,
  RunLockedError,
  appendRunEvent,
  appendRunEvents,
  cachedModelSource,
  createRun,
  deleteCachedModel,
  deleteDataset,
  exportRun,
  getRun,
  gunzipBlob,
  gzipToBlob,
  heldRunLocks,
  importRun,
  isModelCached,
  listCachedModels,
  listDatasets,
  listRunEvents,
  listRuns,
  loadDatasetBytes,
  loadDatasetText,
  openLabDb,
  recoverInterruptedRuns,
  requestPersistence,
  saveDataset,
  storageStatus,
  updateRun,
  withRunLock,
} from '../../src/storage/index.ts';
import { decodeValue, encodeValue, type Files } from '../../src/storage/runArchive.ts';
import { countingSource, fakeLocks, freshLabDb, uniqueDbName } from '../helpers/storageFakes.ts';

const freshDb = () => freshLabDb('storage-test');

describe('schema', () => {
  it('upgrades a version 1 database to the current version and keeps its data', async () => {
    const name = uniqueDbName('storage-upgrade');
    const v1 = await openLabDb(name, { version: 1 });
    expect([...v1.objectStoreNames]).not.toContain('modelFiles');
    const blob = await gzipToBlob(new TextEncoder().encode('{"id":"p1"}\n'));
    // version 1 records lacked updatedAt / storedSize / encoding
    await v1.put('runs', { id: 'r1', name: 'old run', createdAt: 1000, status: 'paused', config: { lr: 2e-5 } } as never);
    await v1.put('datasets', { id: 'd1', name: 'c.jsonl', kind: 'corpus', createdAt: 5, size: 12, blob, summary: { n: 1 } } as never);
    await v1.add('runEvents', { runId: 'r1', at: 1, event: { type: 'step', step: 1 } });
    v1.close();

    const db = await openLabDb(name);
    expect(db.version).toBe(LAB_DB_VERSION);
    expect(LAB_DB_VERSION).toBeGreaterThan(1);
    const run = await getRun(db, 'r1');
    expect(run).toMatchObject({ name: 'old run', status: 'paused', config: { lr: 2e-5 }, updatedAt: 1000 });
    expect((await listRuns(db)).map((r) => r.id)).toEqual(['r1']); // the new byUpdated index covers old rows
    expect(await loadDatasetText(db, 'd1')).toBe('{"id":"p1"}\n');
    expect((await listDatasets(db))[0]).toMatchObject({ storedSize: blob.size, encoding: 'gzip' });
    expect((await listRunEvents(db, 'r1')).map((e) => e.event)).toEqual([{ type: 'step', step: 1 }]);
    await db.put('modelFiles', { key: 'm/f', modelId: 'm', file: 'f', blob: null, size: 0, storedAt: 1 });
    db.close();
  });
});

describe('datasets', () => {
  it('round-trips text and bytes through compression, lists and deletes', async () => {
    const db = await freshDb();
    const text = Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: `p${i}`, title: `product ${i} ünïcødé` })).join('\n');
    const a = await saveDataset(db, { name: 'corpus.jsonl', kind: 'corpus', data: text, summary: { products: 400 } });
    expect(a.encoding).toBe('gzip');
    expect(a.size).toBe(new TextEncoder().encode(text).length);
    expect(a.storedSize).toBeLessThan(a.size / 3);
    expect(await loadDatasetText(db, a.id)).toBe(text);

    const zipLike = new Uint8Array([0x50, 0x4b, 3, 4, ...Array.from({ length: 50 }, (_, i) => i)]);
    const b = await saveDataset(db, { name: 'chorus.json.zip', kind: 'corpus', data: zipLike });
    expect(b.encoding).toBe('none');
    expect(await loadDatasetBytes(db, b.id)).toEqual(zipLike);

    const j = await saveDataset(db, { name: 'judgments.csv', kind: 'judgments', data: 'q,d,3\n' });
    expect((await listDatasets(db, 'judgments')).map((d) => d.id)).toEqual([j.id]);
    expect((await listDatasets(db)).map((d) => d.id).sort()).toEqual([a.id, b.id, j.id].sort());
    expect('blob' in (await listDatasets(db))[0]!).toBe(false);
    await deleteDataset(db, a.id);
    await expect(loadDatasetBytes(db, a.id)).rejects.toThrow(/not stored/);
    db.close();
  });

  it('reads gzip written by fflate and by CompressionStream alike', async () => {
    const bytes = new TextEncoder().encode('abc '.repeat(1000));
    for (const write of [true, false]) {
      for (const read of [true, false]) {
        expect(await gunzipBlob(await gzipToBlob(bytes, { useStreams: write }), { useStreams: read })).toEqual(bytes);
      }
    }
  });
});

describe('model cache', () => {
  const files = { 'config.json': '{"model_type":"bert"}', 'model.safetensors': new Uint8Array(300).map((_, i) => i % 251) };

  it('downloads once, then answers from IndexedDB (also offline), with progress both times', async () => {
    const db = await freshDb();
    const { source, counts, state } = countingSource(files);
    const cached = cachedModelSource(source, db);
    const progress: [number, number | undefined][] = [];
    expect(await cached.readBytes('model.safetensors', (l, t) => progress.push([l, t]))).toEqual(files['model.safetensors']);
    expect(progress).toEqual([
      [150, 300],
      [300, 300],
    ]); // the inner source's progress, passed through
    expect(await cached.exists('config.json')).toBe(true);
    expect(await cached.readText('config.json')).toBe(files['config.json']);
    expect(await cached.exists('modules.json')).toBe(false); // absent: remembered
    const before = { ...counts };
    expect(before.readBytes).toBe(2);

    state.offline = true;
    const again = cachedModelSource(source, db); // e.g. after a reload
    const progress2: [number, number | undefined][] = [];
    expect(await again.readBytes('model.safetensors', (l, t) => progress2.push([l, t]))).toEqual(files['model.safetensors']);
    expect(progress2).toEqual([[300, 300]]);
    expect(await again.readText('config.json')).toBe(files['config.json']);
    expect(await again.exists('config.json')).toBe(true);
    expect(await again.exists('modules.json')).toBe(false);
    expect(counts).toEqual(before); // nothing reached the inner source

    expect(await isModelCached(db, 'org/tiny', ['config.json', 'model.safetensors'])).toBe(true);
    expect(await listCachedModels(db)).toMatchObject([{ modelId: 'org/tiny', size: 300 + files['config.json'].length }]);
    db.close();
  });

  it('says clearly when offline and the file was never cached; passes "not found" through', async () => {
    const db = await freshDb();
    const { source, state } = countingSource(files);
    const cached = cachedModelSource(source, db);
    await expect(cached.readBytes('nope.bin')).rejects.toThrow(/nope\.bin not found \(HTTP 404\)/);
    state.offline = true;
    const err = await cached.readBytes('model.safetensors').catch((e) => e);
    expect(err).toBeInstanceOf(ModelNotCachedError);
    expect(err.message).toMatch(/org\/tiny\/model\.safetensors is not in the offline model cache.*local folder/);
    await expect(cached.exists('config.json')).rejects.toBeInstanceOf(ModelNotCachedError);
    expect(await isModelCached(db, 'org/tiny', ['config.json'])).toBe(false);
    db.close();
  });

  it('shares one download between concurrent reads and deletes a model', async () => {
    const db = await freshDb();
    const { source, counts } = countingSource(files);
    const cached = cachedModelSource(source, db, { cacheId: 'mirror/org/tiny' });
    await Promise.all([cached.readBytes('model.safetensors'), cached.readBytes('model.safetensors')]);
    expect(counts.readBytes).toBe(1);
    expect(await deleteCachedModel(db, 'mirror/org/tiny')).toBe(300);
    expect(await listCachedModels(db)).toEqual([]);
    db.close();
  });
});

describe('runs', () => {
  it('creates, updates, lists and logs events in order', async () => {
    const db = await freshDb();
    const a = await createRun(db, { name: 'a', config: { loss: 'mnrl', rows: [{ query: 'q', positive: 'p' }] } });
    const b = await createRun(db, { name: 'b', config: { loss: 'margin-mse' } });
    expect(a.status).toBe('created');
    const upd = await updateRun(db, a.id, { status: 'running', step: 3, totalSteps: 10, metricsBefore: { 'ndcg@10': 0.4 } });
    expect(upd.updatedAt).toBeGreaterThan(a.updatedAt);
    expect((await listRuns(db)).map((r) => r.name)).toEqual(['a', 'b']);
    await appendRunEvent(db, a.id, { type: 'step', step: 1, loss: 1.5 });
    await appendRunEvents(db, a.id, [
      { type: 'step', step: 2, loss: Number.NaN },
      { type: 'checkpoint', step: 2 },
    ]);
    await appendRunEvent(db, b.id, { type: 'step', step: 1, loss: 9 });
    const events = await listRunEvents<{ type: string; step: number }>(db, a.id);
    expect(events.map((e) => `${e.event.type}${e.event.step}`)).toEqual(['step1', 'step2', 'checkpoint2']);
    expect((await listRunEvents(db, a.id, { afterSeq: events[0]!.seq })).length).toBe(2);
    await expect(updateRun(db, 'missing', { status: 'done' })).rejects.toThrow(/does not exist/);
    db.close();
  });
});

describe('run lock', () => {
  it('refuses a run another tab trains, releases it afterwards, and drives crash recovery', async () => {
    const locks = fakeLocks();
    let release!: () => void;
    const holding = new Promise<void>((r) => {
      release = r;
    });
    const tabA = withRunLock(
      'r1',
      async () => {
        await holding;
        return 'a done';
      },
      { locks },
    );
    await Promise.resolve();
    await expect(withRunLock('r1', async () => 'b', { locks })).rejects.toBeInstanceOf(RunLockedError);
    await expect(withRunLock('r2', async () => 'other run', { locks })).resolves.toBe('other run');
    expect([...(await heldRunLocks({ locks }))]).toEqual(['r1']);

    const db = await freshDb();
    await createRun(db, { id: 'r1', name: 'training elsewhere', config: {} });
    await createRun(db, { id: 'r3', name: 'crashed', config: {} });
    await updateRun(db, 'r1', { status: 'running' });
    await updateRun(db, 'r3', { status: 'running' });
    const held = await heldRunLocks({ locks });
    expect((await recoverInterruptedRuns(db, (id) => held.has(id))).map((r) => r.id)).toEqual(['r3']);
    expect((await getRun(db, 'r3'))!.status).toBe('paused');
    expect((await getRun(db, 'r1'))!.status).toBe('running');

    release();
    expect(await tabA).toBe('a done');
    expect(locks.heldNames()).toEqual([]);
    await expect(withRunLock('r1', async () => 'b', { locks })).resolves.toBe('b');
    db.close();
  });

  it('without the Web Locks API still refuses a second start in this page', async () => {
    let release!: () => void;
    const first = withRunLock(
      'solo',
      () =>
        new Promise<number>((r) => {
          release = () => r(1);
        }),
      { locks: undefined },
    );
    await expect(withRunLock('solo', async () => 2)).rejects.toThrow(/another tab/);
    release();
    expect(await first).toBe(1);
    expect(await withRunLock('solo', async () => 3)).toBe(3);
  });
});

describe('storage status', () => {
  it('reports usage and quota and requests persistence', async () => {
    let persisted = false;
    const sm = {
      estimate: async () => ({ usage: 50 * 2 ** 20, quota: 1000 * 2 ** 20 }),
      persisted: async () => persisted,
      persist: async () => {
        persisted = true;
        return true;
      },
    };
    const s = await storageStatus(sm);
    expect(s).toMatchObject({ supported: true, available: 950 * 2 ** 20, persisted: false });
    expect(s.summary).toBe('50 MB of 1000 MB used (5%), may be evicted under storage pressure');
    expect(await requestPersistence(sm)).toBe(true);
    expect((await storageStatus(sm)).persisted).toBe(true);
    expect(await requestPersistence({ estimate: sm.estimate })).toBeUndefined();
  });
});

describe('run archive', () => {
  it('exports a run with events, checkpoint and datasets as one zip and imports it back', async () => {
    const db = await freshDb();
    const ds = await saveDataset(db, { name: 'rows.jsonl', kind: 'rows', data: '{"query":"q","positive":"p"}\n' });
    const file = new File([new Uint8Array([1, 2, 3])], 'config.json', { type: 'application/json', lastModified: 42 });
    const config = { model: { kind: 'files', files: [file] }, weights: new Float32Array([0.5, -1]), rows: [{ query: 'q', positive: 'p' }] };
    const run = await createRun(db, { name: 'My run!', config, datasetIds: [ds.id] });
    await updateRun(db, run.id, { status: 'running', metricsBefore: { 'ndcg@10': 0.25 } });
    await appendRunEvents(db, run.id, [
      { type: 'step', step: 1, loss: Infinity },
      { type: 'checkpoint', step: 1 },
    ]);
    const meta = JSON.stringify({ format: 'ftlab-checkpoint-1', step: 1 });
    await db.put('checkpoints', { runId: run.id, step: 1, savedAt: 7, json: meta, tensors: new Blob([new Uint8Array([9, 8, 7])]), size: 3 });

    const zip = await exportRun(db, run.id);
    const entries = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(Object.keys(entries).sort()).toEqual(
      [
        'blobs/0',
        'blobs/1',
        'checkpoint/checkpoint.json',
        'checkpoint/tensors.safetensors',
        `datasets/${ds.id}.bin`,
        `datasets/${ds.id}.json`,
        'events.jsonl',
        'manifest.json',
        'run.json',
      ].sort(),
    );
    expect(JSON.parse(strFromU8(entries['manifest.json']!))).toMatchObject({ format: 'ftlab-run-archive-1', events: 2, checkpointStep: 1 });

    // into an empty browser
    const other = await freshDb();
    const imported = await importRun(other, zip);
    expect(imported.id).toBe(run.id);
    expect(imported.status).toBe('paused'); // nobody trains it there
    const got = (await getRun<typeof config>(other, run.id))!;
    expect(got.metricsBefore).toEqual({ 'ndcg@10': 0.25 });
    expect(got.checkpointStep).toBe(1);
    expect(got.config.weights).toEqual(new Float32Array([0.5, -1]));
    // (Node's structured clone turns a File into a Blob inside fake-indexeddb; browsers keep Files)
    const f = got.config.model.files[0]!;
    expect(f.type).toBe('application/json');
    expect(new Uint8Array(await f.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect((await listRunEvents(other, run.id)).map((e) => e.event)).toEqual([
      { type: 'step', step: 1, loss: Infinity },
      { type: 'checkpoint', step: 1 },
    ]);
    const cp = (await other.get('checkpoints', [run.id, 1]))!;
    expect(cp.json).toBe(meta);
    expect(new Uint8Array(await cp.tensors.arrayBuffer())).toEqual(new Uint8Array([9, 8, 7]));
    expect(await loadDatasetText(other, ds.id)).toBe('{"query":"q","positive":"p"}\n');

    // into the same browser: a copy with a new id
    const copy = await importRun(db, zip);
    expect(copy.id).not.toBe(run.id);
    expect(copy.name).toBe('My run! (imported)');
    expect((await listRunEvents(db, copy.id)).length).toBe(2);
    expect((await listRunEvents(db, run.id)).length).toBe(2);

    await expect(importRun(other, new Blob(['not a zip']))).rejects.toThrow(/not a zip file/);
    db.close();
    other.close();
  });

  it('keeps Files, typed arrays, maps and non-finite numbers through the archive encoding', async () => {
    const files: Files = {};
    const value = {
      file: new File([new Uint8Array([4, 5])], 'vocab.txt', { type: 'text/plain', lastModified: 42 }),
      ids: new Int32Array([-1, 7]),
      m: new Map([['a', 1]]),
      nan: Number.NaN,
      when: new Date(5),
    };
    const json = JSON.parse(JSON.stringify(await encodeValue(value, files)));
    const back = decodeValue(json, files, 'test') as typeof value;
    expect([back.file.name, back.file.type, back.file.lastModified]).toEqual(['vocab.txt', 'text/plain', 42]);
    expect(new Uint8Array(await back.file.arrayBuffer())).toEqual(new Uint8Array([4, 5]));
    expect(back.ids).toEqual(new Int32Array([-1, 7]));
    expect(back.m).toEqual(new Map([['a', 1]]));
    expect(back.nan).toBeNaN();
    expect(back.when).toEqual(new Date(5));
  });
});
