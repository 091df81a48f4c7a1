import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import type { TrainRow } from '../../../src/training/data/trainRows.ts';
import { cachedMnrlValueAndGrads } from '../../../src/training/losses/cachedMnrl.ts';
import { miniBatches } from '../../../src/training/losses/gradCache.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import { train } from '../../../src/training/train/trainLoop.ts';
import { resolveTrainConfig } from '../../../src/training/train/trainConfig.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';

/**
 * GradCache (cached-mnrl) against plain MNRL on the same batch: the same value and parameter gradients with
 * dropout off; with dropout on, the same gradients as differentiating MNRL over the mini-batch embeddings
 * with the same masks directly (one tape for the whole batch), which is what caching must reproduce.
 */
const rows: TrainRow[] = tinyCorpus.slice(0, 12).map((positive, i) => ({
  query: positive
    .split(' ')
    .slice(0, 2 + (i % 3))
    .join(' '),
  positive,
  negative: tinyCorpus[(i * 5 + 3) % 16]!,
}));

let dir = '';
beforeAll(async () => {
  dir = await makeTinyModel();
});
const load = (dropout = 0) => loadSentenceEncoder(folderSource(dir), { dropout });

/** max |a − b| over all gradients, relative to the largest |b| */
function gradDiff(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let diff = 0;
  let scale = 0;
  for (const k of Object.keys(b)) {
    const [x, y] = [a[k]!.dataSync(), b[k]!.dataSync()];
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(y[i]!));
    }
  }
  return diff / scale;
}

const vars = (enc: SentenceEncoder) => [...enc.model.trainableParams().values()];
const opts = { training: true, seed: 77 };

describe('cached-mnrl (GradCache)', () => {
  it('splits a batch into mini-batches and refuses a bad size', () => {
    expect(miniBatches(10, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(() => miniBatches(10, 0)).toThrow(/mini-batch size must be a positive integer/);
    expect(() => resolveTrainConfig({ loss: 'mnrl', miniBatchSize: 8 })).toThrow(/miniBatchSize: applies to the cached-mnrl and clip losses only/);
  });

  it('equals plain MNRL on the same batch with dropout off: value and every gradient', async () => {
    const enc = await load(0);
    const before = tf.memory().numTensors;
    const plain = tf.variableGrads(() => createLoss('mnrl').compute(enc, rows, opts), vars(enc));
    for (const mini of [1, 4, 5, 12, 32]) {
      const cached = cachedMnrlValueAndGrads(enc, rows, opts, vars(enc), mini);
      const rel = Math.abs(cached.value.dataSync()[0]! - plain.value.dataSync()[0]!) / plain.value.dataSync()[0]!;
      console.info(`mini-batch ${mini}: loss ${rel.toExponential(1)}, gradients ${gradDiff(cached.grads, plain.grads).toExponential(1)}`);
      expect(rel).toBeLessThanOrEqual(1e-5);
      expect(gradDiff(cached.grads, plain.grads)).toBeLessThanOrEqual(1e-5);
      tf.dispose([cached.value, ...Object.values(cached.grads)]);
    }
    tf.dispose([plain.value, ...Object.values(plain.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    enc.dispose();
  });

  it('under Matryoshka equals matryoshka(mnrl) on the same batch with dropout off: value and every gradient', async () => {
    const enc = await load(0);
    const before = tf.memory().numTensors;
    const m = { matryoshkaDims: [32, 16, 8], matryoshkaWeights: [1, 0.5, 0.25] };
    const plain = tf.variableGrads(() => createLoss('mnrl', m).compute(enc, rows, opts), vars(enc));
    for (const mini of [4, 5]) {
      const loss = createLoss('cached-mnrl', { ...m, miniBatchSize: mini });
      expect(loss.name).toBe('matryoshka(cached-mnrl)');
      const cached = loss.valueAndGrads!(enc, rows, opts, vars(enc));
      const rel = Math.abs(cached.value.dataSync()[0]! - plain.value.dataSync()[0]!) / plain.value.dataSync()[0]!;
      console.info(`matryoshka, mini-batch ${mini}: loss ${rel.toExponential(1)}, gradients ${gradDiff(cached.grads, plain.grads).toExponential(1)}`);
      expect(rel).toBeLessThanOrEqual(1e-5);
      expect(gradDiff(cached.grads, plain.grads)).toBeLessThanOrEqual(1e-5);
      tf.dispose([cached.value, ...Object.values(cached.grads)]);
    }
    // the prefixes change the loss: it is not plain cached-mnrl's
    const single = createLoss('cached-mnrl', { miniBatchSize: 4 }).compute(enc, rows, opts);
    expect(Math.abs(single.dataSync()[0]! - plain.value.dataSync()[0]!)).toBeGreaterThan(1e-3);
    tf.dispose([single, plain.value, ...Object.values(plain.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    enc.dispose();
  });

  it('with dropout: the same masks in both passes, so it equals one tape over the mini-batch embeddings', async () => {
    const enc = await load(0.1);
    const loss = createLoss('cached-mnrl', { miniBatchSize: 5 });
    // one tape, the same calls: each column embedded per mini-batch with the mini-batch's seed
    const direct = tf.variableGrads(() => loss.compute(enc, rows, opts), vars(enc));
    const cached = loss.valueAndGrads!(enc, rows, opts, vars(enc));
    expect(Math.abs(cached.value.dataSync()[0]! - direct.value.dataSync()[0]!)).toBeLessThanOrEqual(1e-5 * direct.value.dataSync()[0]!);
    expect(gradDiff(cached.grads, direct.grads)).toBeLessThanOrEqual(1e-5);
    // the masks are really on: another seed gives another loss
    const other = tf.tidy(() => loss.compute(enc, rows, { training: true, seed: 78 }).dataSync()[0]!);
    expect(Math.abs(other - direct.value.dataSync()[0]!)).toBeGreaterThan(1e-4);
    tf.dispose([direct.value, cached.value, ...Object.values(direct.grads), ...Object.values(cached.grads)]);
    enc.dispose();
  });

  it('trains like mnrl in the loop (dropout off): same losses and weights after 3 steps', async () => {
    const config = { batchSize: 12, steps: 3, lr: 1e-3, shuffle: false, dropout: 0 } as const;
    const [a, b] = [await load(0), await load(0)];
    const plain = await train(a, rows, { ...config, loss: 'mnrl' });
    const cached = await train(b, rows, { ...config, loss: 'cached-mnrl', miniBatchSize: 4 });
    for (let i = 0; i < 3; i++) expect(Math.abs(cached.losses[i]! - plain.losses[i]!)).toBeLessThanOrEqual(1e-5 * plain.losses[i]!);
    let worst = 0;
    for (const [k, v] of a.model.params) {
      const [x, y] = [v.dataSync(), b.model.params.get(k)!.dataSync()];
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    }
    // Adam divides by √v, so a gradient that is ~0 in float32 noise can move its weight by a fraction of lr
    // either way: the bound is 2 % of one step's size
    expect(worst).toBeLessThanOrEqual(0.02 * config.lr);
    a.dispose();
    b.dispose();
  });
});
