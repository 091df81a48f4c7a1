import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BertModel } from '../../../src/training/models/bert/bert.ts';
import { l2normalize, pool, type PoolingMode } from '../../../src/training/models/pooling.ts';
import { randomBertWeights } from '../../../src/training/init/randomBert.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { batchTensors, runReferences, tinyBertConfig, tokenBatch, writeModelDir, type ReferenceFd } from '../../helpers/reference.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

// Row 0 repeats id 7, so the word-embedding gradient of id 7 must sum two positions.
const batch = tokenBatch(
  [
    [2, 7, 9, 7, 3],
    [2, 11, 3],
  ],
  [
    [0, 0, 1, 1, 1],
    [0, 1, 1],
  ],
);
const H = 32;

/** Which coordinates to check: [param name, flat index] */
function coordinates(seed: number): [string, number][] {
  const rng = new Rng(seed);
  const coords: [string, number][] = [];
  const rows = (name: string, row: number, n: number) => {
    for (let i = 0; i < n; i++) coords.push([name, row * H + rng.int(H)]);
  };
  rows('embeddings.word_embeddings.weight', 7, 3); // repeated id
  rows('embeddings.word_embeddings.weight', 11, 2);
  rows('embeddings.position_embeddings.weight', 0, 2);
  rows('embeddings.position_embeddings.weight', 4, 2); // only the long row reaches position 4
  rows('embeddings.token_type_embeddings.weight', 1, 2);
  const flat = (name: string, size: number, n: number) => {
    for (let i = 0; i < n; i++) coords.push([name, rng.int(size)]);
  };
  flat('embeddings.LayerNorm.weight', H, 2);
  flat('encoder.layer.0.attention.self.query.weight', H * H, 3);
  flat('encoder.layer.1.attention.self.key.weight', H * H, 2);
  flat('encoder.layer.0.intermediate.dense.weight', 48 * H, 3);
  flat('encoder.layer.1.output.dense.weight', H * 48, 2);
  flat('encoder.layer.0.attention.output.dense.bias', H, 2);
  flat('encoder.layer.1.output.LayerNorm.bias', H, 2);
  return coords;
}

const cases: { act: 'gelu' | 'gelu_new'; pooling: PoolingMode; normalize: boolean }[] = [
  { act: 'gelu', pooling: 'mean', normalize: true },
  { act: 'gelu_new', pooling: 'max', normalize: false },
];

describe('gradients vs float64 central finite differences', () => {
  it('match for embeddings (repeated id, positions, types), LayerNorm, attention, FFN and biases on wasm', () => {
    expect(tf.getBackend()).toBe(process.env.FTLAB_BACKEND ?? 'wasm');
    const setups = cases.map((c, i) => {
      const config = tinyBertConfig({ hidden_act: c.act, initializer_range: 0.2 });
      const weights = randomBertWeights(config, { seed: 21 + i, perturbAll: true });
      const { dir, cleanup } = writeModelDir(config, weights);
      cleanups.push(cleanup);
      const rng = new Rng(100 + i);
      const w = batch.input_ids.map(() => Array.from({ length: H }, () => rng.normal()));
      return { ...c, config, weights, dir, w, coords: coordinates(7 + i) };
    });
    const refs = runReferences(
      setups.map((s) => ({
        model_dir: s.dir,
        mode: 'fd' as const,
        batches: [batch],
        pooling: s.pooling,
        normalize: s.normalize,
        w: [s.w],
        coords: s.coords,
        eps: 1e-6,
      })),
    ) as ReferenceFd[];

    const inputs = batchTensors(batch);
    setups.forEach((s, i) => {
      const model = BertModel.fromWeights(s.config, s.weights);
      const params = model.trainableParams();
      const wT = tf.tensor2d(s.w);
      const { value, grads } = tf.variableGrads(() => {
        const h = model.forward(inputs, { training: false });
        const p = pool(h, inputs.attentionMask, s.pooling);
        return tf.sum(tf.mul(s.normalize ? l2normalize(p) : p, wT));
      }, [...params.values()]);
      const lossDiff = Math.abs(value.dataSync()[0]! - refs[i]!.loss);
      const values = new Map([...params].map(([name, v]) => [name, grads[v.name]!.dataSync()]));
      const scale = Math.max(...refs[i]!.grads.map(Math.abs));
      let worstRel = 0;
      let worstScaled = 0;
      const rows = s.coords.map(([name, idx], k) => {
        const ours = values.get(name)![idx]!;
        const fd = refs[i]!.grads[k]!;
        const rel = Math.abs(ours - fd) / Math.max(Math.abs(ours), Math.abs(fd), 1e-12);
        // tiny gradients are dominated by float32 rounding; judge those against the largest gradient
        const scaled = Math.abs(ours - fd) / scale;
        if (Math.abs(fd) > 1e-2 * scale) worstRel = Math.max(worstRel, rel);
        worstScaled = Math.max(worstScaled, scaled);
        return `${name}[${idx}] tfjs=${ours.toExponential(4)} fd=${fd.toExponential(4)} rel=${rel.toExponential(2)}`;
      });
      console.log(
        `gradcheck ${s.act}/${s.pooling}${s.normalize ? '+normalize' : ''}: loss diff ${lossDiff.toExponential(2)}, ` +
          `worst rel ${worstRel.toExponential(2)}, worst |diff|/max|g| ${worstScaled.toExponential(2)}\n  ${rows.join('\n  ')}`,
      );
      expect(lossDiff).toBeLessThan(1e-4);
      expect(worstRel).toBeLessThan(1e-4);
      expect(worstScaled).toBeLessThan(1e-5);
      // the repeated id's gradient is non-zero and so are most checked coordinates (otherwise the check is empty)
      expect(refs[i]!.grads.filter((g) => Math.abs(g) > 1e-3 * scale).length).toBeGreaterThan(s.coords.length * 0.8);
      tf.dispose([wT, value, ...Object.values(grads)]);
      model.dispose();
    });
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  });
});
