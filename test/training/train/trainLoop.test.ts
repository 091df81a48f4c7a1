import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import type { TrainRow } from '../../../src/training/data/trainRows.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { folderCheckpointStore } from '../../../src/cli/folderCheckpointStore.ts';
import { MemoryCheckpointStore, deserializeCheckpoint, serializeCheckpoint, type Checkpoint } from '../../../src/training/train/checkpoint.ts';
import { resolveTrainConfig } from '../../../src/training/train/trainConfig.ts';
import { train } from '../../../src/training/train/trainLoop.ts';
import type { TrainEvent } from '../../../src/training/train/trainTypes.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';

// queries (the short texts at the end of the corpus) paired with matching products
const pairs: [string, string][] = [
  ['running shoes', tinyCorpus[0]!],
  ['cheap headphones', tinyCorpus[5]!],
  ['water bottle for kids', tinyCorpus[2]!],
  ['coffee machine', tinyCorpus[6]!],
  ['leather wallet men', tinyCorpus[9]!],
  ['usb c cable', tinyCorpus[10]!],
  ['trail shoe', tinyCorpus[1]!],
  ['espresso', tinyCorpus[6]!],
  ['yoga mat', tinyCorpus[13]!],
  ['mug', tinyCorpus[14]!],
];
const rows: TrainRow[] = pairs.map(([query, positive], i) => ({ query, positive, negative: tinyCorpus[(i * 7 + 3) % 16]! }));
const marginRows: TrainRow[] = rows.map((r, i) => ({ ...r, margin: ((i % 5) - 2) * 0.5 }));

let dir = '';
beforeAll(async () => {
  dir = await makeTinyModel();
});

const load = (dropout = 0) => loadSentenceEncoder(folderSource(dir), { dropout });

function snapshot(enc: SentenceEncoder): Map<string, Float32Array> {
  return new Map([...enc.model.params].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));
}

function fullLoss(enc: SentenceEncoder, loss: string, data: TrainRow[]): number {
  return tf.tidy(() => createLoss(loss).compute(enc, data, { training: false, seed: 0 }).dataSync()[0]!);
}

describe('train', () => {
  it('lowers the loss (mnrl, pairs) and holds tensor memory steady over 50 steps', async () => {
    const enc = await load();
    const before = tf.memory().numTensors;
    const pairRows = rows.map(({ query, positive }) => ({ query, positive }));
    const lossBefore = fullLoss(enc, 'mnrl', pairRows);
    const counts: number[] = [];
    const events: TrainEvent[] = [];
    const res = await train(
      enc,
      pairRows,
      { loss: 'mnrl', batchSize: 5, steps: 50, lr: 1e-3, warmupSteps: 5, seed: 1 },
      {
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step') counts.push(tf.memory().numTensors);
        },
      },
    );
    const lossAfter = fullLoss(enc, 'mnrl', pairRows);
    expect(res.step).toBe(50);
    expect(res.stopped).toBeUndefined();
    expect(lossAfter).toBeLessThan(lossBefore * 0.5);
    expect(counts.length).toBe(50);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps[0]).toMatchObject({ step: 1, lr: 0, epoch: 0.5 });
    expect(steps.every((e) => Number.isFinite(e.gradNorm) && e.gradNorm > 0 && e.examplesPerSec > 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', step: 50 });
    enc.dispose();
  });

  it('lowers the margin-mse loss', async () => {
    const enc = await load();
    const lossBefore = fullLoss(enc, 'margin-mse', marginRows);
    await train(enc, marginRows, { loss: 'margin-mse', batchSize: 5, steps: 12, lr: 3e-3, shuffle: false });
    expect(fullLoss(enc, 'margin-mse', marginRows)).toBeLessThan(lossBefore * 0.5);
    enc.dispose();
  });

  it('without shuffle takes batches in file order, epoch after epoch', async () => {
    const enc = await load();
    const seen: string[][] = [];
    const embed = enc.embedTexts.bind(enc);
    enc.embedTexts = (texts, opts) => {
      if (texts[0]!.length < 25) seen.push(texts); // query column only
      return embed(texts, opts);
    };
    const queries = rows.slice(0, 7).map((r) => r.query);
    await train(enc, rows.slice(0, 7), { loss: 'mnrl', batchSize: 3, steps: 5, shuffle: false });
    expect(seen).toEqual([queries.slice(0, 3), queries.slice(3, 6), queries.slice(6), queries.slice(0, 3), queries.slice(3, 6)]);
    enc.dispose();
  });

  it('stops on abort between steps, saving a checkpoint', async () => {
    const enc = await load();
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const store = new MemoryCheckpointStore();
    const events: TrainEvent[] = [];
    const res = await train(
      enc,
      rows,
      { loss: 'mnrl', batchSize: 4, steps: 20 },
      {
        signal: ctrl.signal,
        store,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step' && e.step === 3) ctrl.abort();
        },
      },
    );
    expect(res).toMatchObject({ step: 3, stopped: 'aborted' });
    expect(res.losses.length).toBe(3);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['checkpoint', 'stopped']);
    expect((await store.loadLatest())!.step).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    enc.dispose();
  });

  it('stops on a NaN loss before applying the update', async () => {
    const enc = await load();
    const word = enc.model.params.get('embeddings.word_embeddings.weight')!;
    let atPoison: Map<string, Float32Array> | undefined;
    const events: TrainEvent[] = [];
    const res = await train(
      enc,
      rows,
      { loss: 'mnrl', batchSize: 4, steps: 10, lr: 1e-3 },
      {
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step' && e.step === 2) {
            // a corrupted weight makes the next forward NaN
            tf.tidy(() => word.assign(word.mul(NaN)));
            atPoison = snapshot(enc);
          }
        },
      },
    );
    expect(res).toMatchObject({ step: 2, stopped: 'nan' });
    expect(events.at(-1)).toMatchObject({ type: 'stopped', reason: 'nan', step: 2 });
    expect((events.at(-1) as { message: string }).message).toMatch(/loss is NaN at step 3; stopped before the update/);
    const after = snapshot(enc);
    for (const [k, v] of atPoison!) {
      if (k === 'embeddings.word_embeddings.weight') continue;
      expect(after.get(k)).toEqual(v);
    }
    enc.dispose();
  });

  it('trains with no-duplicates batches, and a resume must keep the sampler', async () => {
    const enc = await load();
    // every positive twice: a plain batch of 4 would hold a row's positive as another row's in-batch negative
    const twice = [...rows, ...rows.map((r) => ({ ...r, query: `${r.query} again` }))];
    const store = new MemoryCheckpointStore();
    const res = await train(enc, twice, { loss: 'mnrl', batchSize: 4, steps: 3, noDuplicates: true, checkpointEverySteps: 3 }, { store });
    expect(res.losses).toHaveLength(3);
    // ten rows, two positives: no-duplicates batches hold at most two rows, so an epoch has five batches, not three
    const two = rows.map((r, i) => ({ query: `${r.query} ${i}`, positive: rows[i % 2]!.positive }));
    const plain = await train(enc, two, { loss: 'mnrl', batchSize: 4, steps: 3 });
    const nodup = await train(enc, two, { loss: 'mnrl', batchSize: 4, steps: 3, noDuplicates: true });
    expect([plain.epoch, nodup.epoch]).toEqual([1, 0.6]);
    const saved = (await store.loadLatest())!;
    await expect(train(enc, twice, { loss: 'mnrl', batchSize: 4, steps: 5 }, { resume: saved })).rejects.toThrow(
      /resume: noDuplicates is false but the checkpoint used true/,
    );
    enc.dispose();
  });

  it('keeps the best evaluation and stops early when patience runs out, restoring its weights bit for bit', async () => {
    const enc = await load();
    const before = tf.memory().numTensors;
    const curve: Record<number, number> = { 2: 0.1, 4: 0.5, 6: 0.3, 8: 0.2, 10: 0.9 };
    const atEval = new Map<number, Map<string, Float32Array>>();
    const events: TrainEvent[] = [];
    const res = await train(
      enc,
      rows,
      { loss: 'mnrl', batchSize: 4, steps: 12, lr: 1e-3, evalEverySteps: 2, loadBestModelAtEnd: true, earlyStoppingPatience: 2 },
      {
        evaluate: async (step) => ({ 'ndcg@10': curve[step]!, 'mrr@10': 0 }),
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'eval') atEval.set(e.step, snapshot(enc));
        },
      },
    );
    // 0.3 and 0.2 do not beat 0.5: patience 2 is out after the evaluation at step 8; 0.9 is never reached
    expect(res).toMatchObject({ step: 8, earlyStopped: true, best: { step: 4, metric: 'ndcg@10', value: 0.5 } });
    expect(events.at(-1)).toMatchObject({ type: 'done', step: 8, best: { step: 4 }, earlyStopped: true });
    const final = snapshot(enc);
    for (const [k, v] of atEval.get(4)!) expect(final.get(k), k).toEqual(v);
    expect(final.get('embeddings.word_embeddings.weight')).not.toEqual(atEval.get(8)!.get('embeddings.word_embeddings.weight'));
    expect(tf.memory().numTensors).toBe(before);
    enc.dispose();
  });

  it('counts only improvements above the threshold for patience, and checks its settings', async () => {
    const enc = await load();
    const curve: Record<number, number> = { 1: 0.5, 2: 0.52, 3: 0.53, 4: 0.9 };
    const res = await train(
      enc,
      rows,
      {
        loss: 'mnrl',
        batchSize: 4,
        steps: 4,
        evalEverySteps: 1,
        earlyStoppingPatience: 2,
        earlyStoppingThreshold: 0.05,
        metricForBestModel: 'mrr@10',
      },
      { evaluate: async (step) => ({ 'mrr@10': curve[step]! }) },
    );
    // 0.52 and 0.53 are better but by less than 0.05: stopped at step 3, best 0.53 (no weights kept without loadBest)
    expect(res).toMatchObject({ step: 3, earlyStopped: true, best: { step: 3, value: 0.53 } });
    await expect(train(enc, rows, { loss: 'mnrl', steps: 2, loadBestModelAtEnd: true })).rejects.toThrow(
      /loadBestModelAtEnd: needs periodic evaluation/,
    );
    await expect(
      train(enc, rows, { loss: 'mnrl', steps: 2, evalEverySteps: 1, loadBestModelAtEnd: true }, { evaluate: async () => ({ 'map@100': 1 }) }),
    ).rejects.toThrow(/has no "ndcg@10" to pick the best model by \(it has: map@100\)/);
    enc.dispose();
  });

  it('a resumed run (shuffle, dropout, warmup, several epochs) equals an uninterrupted one bit for bit', async () => {
    const config = { loss: 'mnrl', batchSize: 3, steps: 9, lr: 5e-4, warmupSteps: 2, dropout: 0.1, seed: 9 } as const;
    const a = await load(0.1);
    const straight = await train(a, rows, config);
    const expected = snapshot(a);
    a.dispose();

    const b = await load(0.1);
    const ctrl = new AbortController();
    const store = new MemoryCheckpointStore();
    const first = await train(b, rows, config, {
      signal: ctrl.signal,
      store,
      onEvent: (e) => e.type === 'step' && e.step === 5 && ctrl.abort(),
    });
    b.dispose();
    const c = await load(0.1); // a fresh process would start from the original weights
    const resumed = await train(c, rows, config, { resume: await store.loadLatest() });
    expect(first.step).toBe(5);
    expect(resumed.step).toBe(9);
    expect([...first.losses, ...resumed.losses]).toEqual(straight.losses);
    const got = snapshot(c);
    for (const [k, v] of expected) expect(got.get(k)).toEqual(v);
    c.dispose();
  });

  it('saves checkpoints every N steps and at the end', async () => {
    const enc = await load();
    const store = new MemoryCheckpointStore(5);
    const saved: number[] = [];
    await train(
      enc,
      rows,
      { loss: 'mnrl', batchSize: 4, steps: 7, checkpointEverySteps: 3 },
      {
        store,
        onEvent: (e) => e.type === 'checkpoint' && saved.push(e.step),
      },
    );
    expect(saved).toEqual([3, 6, 7]);
    const last = (await store.loadLatest())!;
    expect(last).toMatchObject({ step: 7, optimizer: { t: 7 }, epoch: 2, batchInEpoch: 1 });
    expect(last.weights.size).toBe(enc.model.params.size);
    enc.dispose();
  });

  it('runs evaluations on schedule and at the end', async () => {
    const enc = await load();
    const res = await train(
      enc,
      rows,
      { loss: 'mnrl', batchSize: 5, steps: 5, evalEverySteps: 2 },
      {
        evaluate: async (step) => ({ ndcg: step / 10 }),
      },
    );
    expect(res.evals).toEqual([
      { step: 2, metrics: { ndcg: 0.2 } },
      { step: 4, metrics: { ndcg: 0.4 } },
      { step: 5, metrics: { ndcg: 0.5 } },
    ]);
    enc.dispose();
  });

  it('rejects rows that do not fit the loss and a resume with different data', async () => {
    const enc = await load();
    await expect(train(enc, rows, { loss: 'margin-mse' })).rejects.toThrow(/row 1 has no "margin"/);
    await expect(train(enc, rows, { loss: 'mnrl', batchSize: 0 })).rejects.toThrow(/batchSize: must be a positive integer/);
    const store = new MemoryCheckpointStore();
    await train(enc, rows, { loss: 'mnrl', batchSize: 5, steps: 1, checkpointEverySteps: 1 }, { store });
    const ckpt = await store.loadLatest();
    await expect(train(enc, rows.slice(1), { loss: 'mnrl', batchSize: 5, steps: 2 }, { resume: ckpt })).rejects.toThrow(
      /checkpoint was trained on 10 rows, this run has 9/,
    );
    enc.dispose();
  });
});

describe('checkpoint stores', () => {
  const make = (step: number): Checkpoint => ({
    step,
    epoch: 1,
    batchInEpoch: 2,
    rngState: 123456789,
    numRows: 10,
    config: resolveTrainConfig({ loss: 'mnrl', steps: 9 }),
    weights: new Map([['a.weight', { shape: [2, 2], data: new Float32Array([1, 2, 3, step]) }]]),
    optimizer: {
      t: step,
      m: new Map([['a.weight', { shape: [2, 2], data: new Float32Array(4).fill(0.5) }]]),
      v: new Map([['a.weight', { shape: [2, 2], data: new Float32Array(4).fill(0.25) }]]),
    },
  });

  it('round-trips through serialization and rejects foreign JSON', () => {
    const c = make(4);
    expect(deserializeCheckpoint(serializeCheckpoint(c))).toEqual(c);
    expect(() => deserializeCheckpoint({ json: '{"format": "x"}', tensors: new Uint8Array() }, 'ck')).toThrow(/ck: not an ftlab checkpoint/);
  });

  it('folder store keeps the newest checkpoints and loads the latest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-ckpt-'));
    const store = folderCheckpointStore(dir, 2);
    expect(await store.loadLatest()).toBeUndefined();
    for (const step of [2, 10, 4]) await store.save(make(step));
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-10', 'checkpoint-4']);
    expect(await store.loadLatest()).toEqual(make(10));
  });
});
