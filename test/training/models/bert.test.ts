import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BertModel } from '../../../src/training/models/bert/bert.ts';
import { embeddingLookup } from '../../../src/training/nn/embeddingLookup.ts';
import { l2normalize, pool, type PoolingMode } from '../../../src/training/models/pooling.ts';
import { randomBertWeights } from '../../../src/training/init/randomBert.ts';
import {
  batchTensors,
  maxAbsDiff,
  runReferences,
  tinyBertConfig,
  tokenBatch,
  writeModelDir,
  type ReferenceForward,
} from '../../helpers/reference.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

// Different lengths (padding), non-zero token types, a repeated id; ids stay < vocab 50.
const batch = tokenBatch(
  [
    [2, 7, 7, 31, 12, 44, 3],
    [2, 19, 3],
    [2, 5, 9, 3, 48],
  ],
  [
    [0, 0, 0, 0, 1, 1, 1],
    [0, 1, 1],
    [0, 0, 0, 1, 1],
  ],
);

describe('embeddingLookup', () => {
  it('matches gather and sums the gradient of repeated ids (wasm backend)', () => {
    expect(tf.getBackend()).toBe(process.env.FTLAB_BACKEND ?? 'wasm');
    const table = tf.variable(tf.randomNormal([6, 3], 0, 1, 'float32', 1) as tf.Tensor2D);
    const ids = tf.tensor2d(
      [
        [1, 4, 1],
        [0, 1, 5],
      ],
      undefined,
      'int32',
    );
    const w = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 2);
    const out = embeddingLookup(table, ids);
    expect(out.shape).toEqual([2, 3, 3]);
    expect(maxAbsDiff(out.dataSync(), tf.gather(table, ids).dataSync())).toBe(0);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(table, ids), w)), [table]);
    const g = grads[table.name]!.arraySync() as number[][];
    const wv = w.arraySync() as number[][][];
    const idv = ids.arraySync();
    const expected = Array.from({ length: 6 }, () => [0, 0, 0]);
    idv.forEach((row, b) =>
      row.forEach((id, s) =>
        wv[b]![s]!.forEach((x, k) => {
          expected[id]![k]! += x;
        }),
      ),
    );
    expect(maxAbsDiff(g.flat(), expected.flat())).toBeLessThan(1e-6);
    expect(expected[1]!.some((x) => x !== 0) && expected[2]!.every((x) => x === 0)).toBe(true);
    tf.dispose([table, ids, w, out, value, ...Object.values(grads)]);
  });
});

describe('BertModel vs numpy float64 reference', () => {
  const acts = ['gelu', 'gelu_new', 'relu'] as const;
  // initializer_range 0.2 makes attention peaked, so head/transposition mistakes cannot hide.
  const models = acts.map((act) => {
    const config = tinyBertConfig({ hidden_act: act, initializer_range: 0.2 });
    const weights = randomBertWeights(config, { seed: 11, perturbAll: true });
    const { dir, cleanup } = writeModelDir(config, weights);
    cleanups.push(cleanup);
    return { config, weights, dir };
  });
  let refs: ReferenceForward[] = [];
  beforeAll(() => {
    refs = runReferences(models.map((m) => ({ model_dir: m.dir, batches: [batch] }))) as ReferenceForward[];
  });

  acts.forEach((act, i) => {
    it(`${act}: last_hidden_state and every pooling mode within 1e-5`, () => {
      const { config, weights } = models[i]!;
      const ref = refs[i]!.results[0]!;
      const model = BertModel.fromWeights(config, weights);
      const inputs = batchTensors(batch);
      const hidden = model.forward(inputs, { training: false });
      const dHidden = maxAbsDiff(hidden.dataSync(), ref.last_hidden_state.flat(2));
      const diffs: Record<string, number> = { hidden: dHidden };
      for (const mode of ['mean', 'cls', 'max'] as PoolingMode[]) {
        for (const normalize of [false, true]) {
          const e = tf.tidy(() => {
            const p = pool(hidden, inputs.attentionMask, mode);
            return normalize ? l2normalize(p) : p;
          });
          const key = mode + (normalize ? '+normalize' : '');
          diffs[key] = maxAbsDiff(e.dataSync(), ref.all_poolings[key]!.flat());
          e.dispose();
        }
      }
      console.log(`bert parity ${act}:`, JSON.stringify(diffs));
      for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-5);
      // activations of order one, so a 1e-5 bound is a real constraint
      expect(Math.max(...ref.last_hidden_state.flat(2).map(Math.abs))).toBeGreaterThan(0.5);
      tf.dispose([hidden, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
      model.dispose();
    });
  });

  it('masked max pooling ignores padding even when every real value is negative', () => {
    const h = tf.tensor3d([
      [
        [-3, -1],
        [-2, -5],
        [0, 0],
      ],
    ]);
    const m = tf.tensor2d([[1, 1, 0]], undefined, 'int32');
    expect(Array.from(pool(h, m, 'max').dataSync())).toEqual([-2, -1]);
    expect(Array.from(pool(h, m, 'mean').dataSync())).toEqual([-2.5, -3]);
    tf.dispose([h, m]);
  });
});

describe('BertModel training mode', () => {
  const config = tinyBertConfig({ hidden_dropout_prob: 0.2, attention_probs_dropout_prob: 0.2 });
  const weights = randomBertWeights(config, { seed: 3 });

  it('dropout is seeded, off in eval, and follows the option overrides', () => {
    const model = BertModel.fromWeights(config, weights);
    const inputs = batchTensors(batch);
    const run = (o: Parameters<BertModel['forward']>[1]) => {
      const h = model.forward(inputs, o);
      const d = h.dataSync().slice();
      h.dispose();
      return d;
    };
    const evalOut = run({ training: false });
    const a = run({ training: true, seed: 5 });
    expect(maxAbsDiff(a, run({ training: true, seed: 5 }))).toBe(0);
    expect(maxAbsDiff(a, run({ training: true, seed: 6 }))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a, evalOut)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(evalOut, run({ training: false, seed: 5, hiddenDropout: 0.5 }))).toBe(0);
    expect(maxAbsDiff(evalOut, run({ training: true, seed: 5, hiddenDropout: 0, attentionDropout: 0 }))).toBeLessThan(1e-6);
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
    model.dispose();
  });

  it('keeps tf.memory().numTensors stable over 20 forward+grad steps with dropout', () => {
    const model = BertModel.fromWeights(config, weights);
    const inputs = batchTensors(batch);
    const vars = [...model.trainableParams().values()];
    const before = tf.memory().numTensors;
    for (let step = 0; step < 20; step++) {
      const { value, grads } = tf.variableGrads(() => {
        const h = model.forward(inputs, { training: true, seed: step });
        return tf.mean(tf.square(pool(h, inputs.attentionMask, 'mean')));
      }, vars);
      expect(Object.keys(grads)).toHaveLength(vars.length);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
    model.dispose();
  });

  it('exports what it loaded, keeps the pooler out of training, and names missing weights', async () => {
    const model = BertModel.fromWeights(config, weights);
    const out = await model.exportWeights();
    expect([...out.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, t] of weights) expect(maxAbsDiff(out.get(name)!.data, t.data)).toBe(0);
    const trainable = [...model.trainableParams().keys()];
    expect(trainable.some((n) => n.startsWith('pooler.'))).toBe(false);
    expect(trainable).toHaveLength(weights.size - 2);
    model.dispose();
    const partial = new Map(weights);
    partial.delete('encoder.layer.1.output.dense.bias');
    partial.delete('pooler.dense.weight');
    partial.delete('pooler.dense.bias');
    const before = tf.memory().numTensors;
    expect(() => BertModel.fromWeights(config, partial)).toThrow(/encoder\.layer\.1\.output\.dense\.bias/);
    expect(tf.memory().numTensors).toBe(before);
    partial.set('encoder.layer.1.output.dense.bias', weights.get('encoder.layer.1.output.dense.bias')!);
    const noPooler = BertModel.fromWeights(config, partial);
    expect((await noPooler.exportWeights()).get('pooler.dense.weight')!.shape).toEqual([32, 32]);
    noPooler.dispose();
  });
});
