import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/training/random/rng.ts';
import { AdamW, isNoDecayParam } from '../../../src/training/optim/adamw.ts';
import { gradNorm, scaleGrads } from '../../../src/training/optim/gradientClipping.ts';
import { lrLambda, lrSequence, warmupStepsFor, type SchedulerName } from '../../../src/training/optim/schedule.ts';
import { maxRelError, trainReferenceBatch } from '../../helpers/trainReference.ts';

const shapes: Record<string, number[]> = {
  'encoder.layer.0.intermediate.dense.weight': [3, 4],
  'encoder.layer.0.intermediate.dense.bias': [3],
  'encoder.layer.0.output.LayerNorm.weight': [4],
  'embeddings.word_embeddings.weight': [5, 2],
};
const rng = new Rng(2024);
const init = Object.fromEntries(
  Object.entries(shapes).map(([k, s]) => [k, Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal())]),
);
// gradient scales vary so that some steps are clipped (norm > 1) and others are not
const gradSteps = [3, 0.2, 1.5, 0.05, 0.8].map((scale) =>
  Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.map(() => rng.normal() * scale)])),
);

interface Case {
  scheduler: SchedulerName;
  warmup: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
}
const cases: Case[] = [
  { scheduler: 'linear', warmup: 2, lr: 1e-2, weightDecay: 0.01, maxGradNorm: 1 },
  { scheduler: 'constant', warmup: 0, lr: 5e-3, weightDecay: 0.1, maxGradNorm: 0 },
  { scheduler: 'constant-with-warmup', warmup: 3, lr: 2e-2, weightDecay: 0, maxGradNorm: 0.5 },
];

interface OptimRef {
  lrs: number[];
  norms: number[];
  params: Record<string, number[]>[];
}
let refs: OptimRef[] = [];
beforeAll(() => {
  refs = trainReferenceBatch<OptimRef>(
    cases.map((c) => ({
      task: 'optim',
      params: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, { shape: shapes[k], data: v }])),
      grads: gradSteps,
      lr: c.lr,
      weightDecay: c.weightDecay,
      maxGradNorm: c.maxGradNorm,
      scheduler: c.scheduler,
      warmup: c.warmup,
      total: gradSteps.length,
    })),
  );
});

function makeParams(): Map<string, tf.Variable> {
  return new Map(Object.entries(init).map(([k, v]) => [k, tf.variable(tf.tensor(v, shapes[k]!))]));
}

function gradsAt(step: number): Map<string, tf.Tensor> {
  return new Map(Object.entries(gradSteps[step]!).map(([k, v]) => [k, tf.tensor(v, shapes[k]!)]));
}

/** clip + AdamW at the scheduled lr through AdamW.update, as the training loop does */
async function runSteps(opt: AdamW, c: Case, from: number, to: number, onStep?: (k: number, norm: number, lr: number) => void): Promise<void> {
  for (let k = from; k < to; k++) {
    const lr = c.lr * lrLambda(c.scheduler, k, { warmupSteps: c.warmup, totalSteps: gradSteps.length });
    const grads = gradsAt(k);
    const loss = tf.scalar(k + 0.5);
    const r = await opt.update(grads, loss, lr, c.maxGradNorm);
    expect(r).toMatchObject({ loss: k + 0.5, applied: true });
    tf.dispose([...grads.values(), loss]);
    onStep?.(k, r.norm, lr);
  }
}

describe('AdamW + schedule + clip_grad_norm_ vs torch semantics (numpy float64)', () => {
  cases.forEach((c, ci) => {
    it(`${c.scheduler}, warmup ${c.warmup}, wd ${c.weightDecay}, max norm ${c.maxGradNorm}: 5 steps within 1e-6`, async () => {
      const params = makeParams();
      const opt = new AdamW(params, { weightDecay: c.weightDecay });
      const before = tf.memory().numTensors;
      let worst = 0;
      await runSteps(opt, c, 0, gradSteps.length, (k, norm, lr) => {
        const ref = refs[ci]!;
        expect(Math.abs(norm - ref.norms[k]!) / ref.norms[k]!).toBeLessThan(1e-6);
        expect(lr).toBeCloseTo(ref.lrs[k]!, 15);
        for (const [name, p] of params) worst = Math.max(worst, maxRelError(p.dataSync(), ref.params[k]![name]!));
      });
      expect(worst).toBeLessThan(1e-6);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
      params.forEach((p) => p.dispose());
    });
  });

  it('exported state resumes to the same parameters as an uninterrupted run', async () => {
    const c = cases[0]!;
    const straight = makeParams();
    const o1 = new AdamW(straight, { weightDecay: c.weightDecay });
    await runSteps(o1, c, 0, 5);
    const resumed = makeParams();
    const o2 = new AdamW(resumed, { weightDecay: c.weightDecay });
    await runSteps(o2, c, 0, 3);
    const state = await o2.exportState();
    const snapshot = new Map([...resumed].map(([k, v]) => [k, v.dataSync().slice()]));
    o2.dispose();
    resumed.forEach((v) => v.dispose());
    const fresh = new Map([...snapshot].map(([k, d]) => [k, tf.variable(tf.tensor(d, shapes[k]!))]));
    const o3 = new AdamW(fresh, { weightDecay: c.weightDecay });
    o3.importState(state);
    expect(o3.t).toBe(3);
    await runSteps(o3, c, 3, 5);
    for (const [k, v] of straight) expect(Array.from(fresh.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()));
    for (const o of [o1, o3]) o.dispose();
    [...straight.values(), ...fresh.values()].forEach((v) => v.dispose());
  });
});

describe('AdamW.update', () => {
  it('reads loss and norm back together and refuses a non-finite loss or gradient without touching anything', async () => {
    const c = cases[0]!;
    const params = makeParams();
    const opt = new AdamW(params, { weightDecay: c.weightDecay });
    await runSteps(opt, c, 0, 2);
    const snapshot = [...params.values()].map((v) => Array.from(v.dataSync()));
    const state = await opt.exportState();
    const before = tf.memory().numTensors;
    for (const [loss, bad] of [
      [NaN, false],
      [1, true],
    ] as const) {
      const grads = gradsAt(2);
      if (bad) {
        grads.get('encoder.layer.0.intermediate.dense.bias')!.dispose();
        grads.set('encoder.layer.0.intermediate.dense.bias', tf.tensor([1, Infinity, 0]));
      }
      const l = tf.scalar(loss);
      const r = await opt.update(grads, l, 1e-2, 1);
      expect(r.applied).toBe(false);
      expect(bad ? r.norm : r.loss).not.toBeLessThan(Infinity);
      tf.dispose([...grads.values(), l]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.t).toBe(2);
    expect([...params.values()].map((v) => Array.from(v.dataSync()))).toEqual(snapshot);
    const after = await opt.exportState();
    for (const [k, m] of state.m) expect(Array.from(after.m.get(k)!.data)).toEqual(Array.from(m.data));
    opt.dispose();
    params.forEach((p) => p.dispose());
  });
});

describe('weight decay groups', () => {
  it('decays weights but not biases or LayerNorm parameters', () => {
    expect(isNoDecayParam('encoder.layer.0.attention.self.query.bias')).toBe(true);
    expect(isNoDecayParam('embeddings.LayerNorm.weight')).toBe(true);
    expect(isNoDecayParam('encoder.layer.1.output.dense.weight')).toBe(false);
    const params = makeParams();
    const opt = new AdamW(params, { weightDecay: 0.5 });
    const zeros = new Map([...params].map(([k, v]) => [k, tf.zerosLike(v) as tf.Tensor]));
    opt.step(zeros, 0.1); // zero gradient: only decoupled decay moves a parameter
    for (const [k, v] of params) {
      const factor = isNoDecayParam(k) ? 1 : 1 - 0.1 * 0.5;
      expect(
        maxRelError(
          v.dataSync(),
          init[k]!.map((x) => x * factor),
        ),
      ).toBeLessThan(1e-6);
    }
    zeros.forEach((z) => z.dispose());
    opt.dispose();
    params.forEach((p) => p.dispose());
  });
});

describe('schedules', () => {
  it('linear warmup 2 of 5 steps gives [0, lr/2, lr, 2lr/3, lr/3] (HF Trainer: first update at lambda(0))', () => {
    const lr = 3e-5;
    const seq = lrSequence('linear', lr, { warmupSteps: 2, totalSteps: 5 });
    [0, lr / 2, lr, (2 * lr) / 3, lr / 3].forEach((x, i) => expect(seq[i]).toBeCloseTo(x, 15));
  });

  it('linear without warmup decays from lr; constant stays; warmup ratio rounds up', () => {
    expect(lrSequence('linear', 1, { warmupSteps: 0, totalSteps: 4 })).toEqual([1, 0.75, 0.5, 0.25]);
    expect(lrSequence('constant', 2, { warmupSteps: 3, totalSteps: 3 })).toEqual([2, 2, 2]);
    expect(lrSequence('constant-with-warmup', 1, { warmupSteps: 2, totalSteps: 4 })).toEqual([0, 0.5, 1, 1]);
    expect(lrLambda('cosine', 2, { warmupSteps: 0, totalSteps: 4 })).toBeCloseTo(0.5, 12);
    expect(warmupStepsFor(10, 0, 0.25)).toBe(3);
    expect(warmupStepsFor(10, 4, 0.25)).toBe(4);
  });
});

describe('gradNorm + scaleGrads (clip_grad_norm_)', () => {
  it('reports the pre-clip norm and scales only above max norm', async () => {
    const inputs: tf.Tensor[] = [];
    const clipGradNorm = async (grads: Map<string, tf.Tensor>, maxNorm: number) => {
      inputs.push(...grads.values());
      const n = gradNorm(grads);
      const norm = (await n.data())[0]!;
      n.dispose();
      return scaleGrads(grads, norm, maxNorm);
    };
    const g = () =>
      new Map<string, tf.Tensor>([
        ['a', tf.tensor([3, 0])],
        ['b', tf.tensor([[4]])],
      ]);
    const big = await clipGradNorm(g(), 1);
    expect(big.norm).toBeCloseTo(5, 6);
    expect(big.clipped).toBe(true);
    expect(big.grads.get('a')!.dataSync()[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    const small = await clipGradNorm(g(), 10);
    expect(small.clipped).toBe(false);
    expect(Array.from(small.grads.get('b')!.dataSync())).toEqual([4]);
    for (const r of [big, small]) r.grads.forEach((x) => x.dispose());
    tf.dispose(inputs);
  });
});
