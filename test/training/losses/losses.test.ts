import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/training/random/rng.ts';
import { mnrlFromEmbeddings } from '../../../src/training/losses/mnrl.ts';
import { marginMseFromEmbeddings } from '../../../src/training/losses/marginMse.ts';
import type { TextEmbedder } from '../../../src/training/losses/loss.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import { maxRelError, trainReferenceBatch } from '../../helpers/trainReference.ts';

function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
}

interface LossRef {
  loss: number;
  grads: Record<string, number[][]>;
  fdError: number;
}

/** central differences of a float32 tfjs loss on a few coordinates of each input */
function fdCheck(f: (xs: tf.Tensor2D[]) => tf.Scalar, inputs: number[][][], rng: Rng): number {
  const analytic = tf.tidy(() =>
    tf
      .grads((...xs: tf.Tensor[]) => f(xs as tf.Tensor2D[]))(inputs.map((x) => tf.tensor2d(x)))
      .map((g) => g.arraySync() as number[][]),
  );
  const h = 1e-2;
  let worst = 0;
  for (let k = 0; k < inputs.length; k++) {
    for (let trial = 0; trial < 6; trial++) {
      const i = rng.int(inputs[k]!.length);
      const j = rng.int(inputs[k]![0]!.length);
      const at = (delta: number) =>
        tf.tidy(() => {
          const xs = inputs.map((x, kk) => {
            const copy = x.map((r) => r.slice());
            if (kk === k) copy[i]![j]! += delta;
            return tf.tensor2d(copy);
          });
          return f(xs).dataSync()[0]!;
        });
      const fd = (at(h) - at(-h)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - analytic[k]![i]![j]!) / Math.max(1, Math.abs(fd)));
    }
  }
  return worst;
}

// All reference values come from one python process (numpy's import costs seconds on a loaded machine).
const rng = new Rng(7);
const mnrlCases = [false, true].map((withNeg) => ({
  withNeg,
  a: randomMatrix(rng, 5, 8),
  p: randomMatrix(rng, 5, 8),
  n: randomMatrix(rng, 5, 8),
}));
const scaleCase = { a: randomMatrix(rng, 4, 6), p: randomMatrix(rng, 4, 6) };
const mm = {
  q: randomMatrix(rng, 6, 8, 0.5),
  p: randomMatrix(rng, 6, 8, 0.5),
  n: randomMatrix(rng, 6, 8, 0.5),
  labels: Array.from({ length: 6 }, () => rng.normal() * 2),
};
let refs: LossRef[] = [];
beforeAll(() => {
  refs = trainReferenceBatch<LossRef>([
    ...mnrlCases.map((c) => ({ task: 'mnrl', anchors: c.a, positives: c.p, negatives: c.withNeg ? c.n : null, scale: 20 })),
    { task: 'mnrl', anchors: scaleCase.a, positives: scaleCase.p, negatives: null, scale: 5 },
    { task: 'margin-mse', q: mm.q, pos: mm.p, neg: mm.n, labels: mm.labels },
  ]);
});

describe('MultipleNegativesRankingLoss', () => {
  mnrlCases.forEach(({ withNeg, a, p, n }, caseIndex) => {
    it(`matches the float64 reference ${withNeg ? 'with' : 'without'} hard negatives`, () => {
      const ref = refs[caseIndex]!;
      const rng = new Rng(100 + caseIndex);
      expect(ref.fdError).toBeLessThan(1e-6);
      const before = tf.memory().numTensors;
      const f = (xs: tf.Tensor2D[]) => mnrlFromEmbeddings(xs[0]!, xs[1]!, withNeg ? xs[2]! : null, 20);
      const inputs = withNeg ? [a, p, n] : [a, p];
      const { value, grads } = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(xs as tf.Tensor2D[]))(inputs.map((x) => tf.tensor2d(x)));
        return { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync()) };
      });
      expect(Math.abs(value - ref.loss) / ref.loss).toBeLessThan(1e-5);
      const names = withNeg ? ['anchors', 'positives', 'negatives'] : ['anchors', 'positives'];
      names.forEach((name, k) => expect(maxRelError(grads[k]!, ref.grads[name]!.flat(), 1e-2)).toBeLessThan(1e-4));
      expect(fdCheck(f, inputs, rng)).toBeLessThan(2e-2);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('scale changes the loss as the reference does', () => {
    const { a, p } = scaleCase;
    const ref = refs[2]!;
    const v = tf.tidy(() => mnrlFromEmbeddings(tf.tensor2d(a), tf.tensor2d(p), null, 5).dataSync()[0]!);
    expect(Math.abs(v - ref.loss) / ref.loss).toBeLessThan(1e-5);
  });
});

describe('MarginMSELoss', () => {
  it('matches the float64 reference and finite differences', () => {
    const { q, p, n, labels } = mm;
    const ref = refs[3]!;
    const rng = new Rng(11);
    expect(ref.fdError).toBeLessThan(1e-6);
    const before = tf.memory().numTensors;
    const f = (xs: tf.Tensor2D[]) => marginMseFromEmbeddings(xs[0]!, xs[1]!, xs[2]!, labels);
    const { value, grads } = tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(xs as tf.Tensor2D[]))([q, p, n].map((x) => tf.tensor2d(x)));
      return { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync()) };
    });
    expect(Math.abs(value - ref.loss) / ref.loss).toBeLessThan(1e-5);
    ['q', 'pos', 'neg'].forEach((name, k) => expect(maxRelError(grads[k]!, ref.grads[name]!.flat(), 1e-2)).toBeLessThan(1e-4));
    expect(fdCheck(f, [q, p, n], rng)).toBeLessThan(2e-2);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** embeds each text as a fixed random vector, recording the calls */
function fakeEncoder(dim = 4): TextEmbedder & { calls: { texts: string[]; seed?: number }[] } {
  const calls: { texts: string[]; seed?: number }[] = [];
  const vec = (t: string) => {
    const r = new Rng([...t].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
    return Array.from({ length: dim }, () => r.normal());
  };
  return {
    calls,
    embedTexts(texts, opts) {
      calls.push({ texts, seed: opts.seed });
      return tf.tensor2d(texts.map(vec));
    },
  };
}

describe('createLoss', () => {
  const rows = [
    { query: 'red shoes', positive: 'crimson sneakers', negative: 'blue hat', margin: 1.5 },
    { query: 'oak table', positive: 'wooden desk', negative: 'steel chair', margin: -0.5 },
  ];

  it('embeds each column separately with distinct dropout seeds and matches the pure cores', () => {
    const enc = fakeEncoder();
    const before = tf.memory().numTensors;
    const mnrl = createLoss('mnrl', { scale: 10 }).compute(enc, rows, { training: true, seed: 5 });
    expect(enc.calls.map((c) => c.texts)).toEqual([
      ['red shoes', 'oak table'],
      ['crimson sneakers', 'wooden desk'],
      ['blue hat', 'steel chair'],
    ]);
    expect(new Set(enc.calls.map((c) => c.seed)).size).toBe(3);
    const direct = tf.tidy(() => {
      const e = enc.calls.map((c) => enc.embedTexts(c.texts, { training: false }));
      return mnrlFromEmbeddings(e[0]!, e[1]!, e[2]!, 10).dataSync()[0]!;
    });
    expect(mnrl.dataSync()[0]).toBeCloseTo(direct, 6);
    const mm = createLoss('margin-mse').compute(enc, rows, { training: false, seed: 0 });
    expect(Number.isFinite(mm.dataSync()[0])).toBe(true);
    mnrl.dispose();
    mm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mnrl without a negative column embeds two columns', () => {
    const enc = fakeEncoder();
    createLoss('mnrl')
      .compute(
        enc,
        rows.map(({ query, positive }) => ({ query, positive })),
        { training: false, seed: 0 },
      )
      .dispose();
    expect(enc.calls.length).toBe(2);
  });

  it('rejects unknown losses by name', () => {
    expect(() => createLoss('triplet')).toThrow(/unknown loss "triplet".*mnrl, margin-mse/);
  });
});
