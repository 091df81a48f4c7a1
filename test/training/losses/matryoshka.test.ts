import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/training/random/rng.ts';
import { mnrlFromEmbeddings } from '../../../src/training/losses/mnrl.ts';
import { marginMseFromEmbeddings } from '../../../src/training/losses/marginMse.ts';
import { matryoshkaFromEmbeddings, matryoshkaLoss } from '../../../src/training/losses/matryoshka.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import type { TextEmbedder } from '../../../src/training/losses/loss.ts';
import type { TrainRow } from '../../../src/training/data/trainRows.ts';
import { maxRelError, trainReferenceBatch } from '../../helpers/trainReference.ts';

/**
 * MatryoshkaLoss against the float64 numpy reference (test/reference/train_reference.py 'matryoshka'):
 * the wrapped MNRL or MarginMSE over re-normalized prefixes, value and gradients w.r.t. every embedding.
 */
interface LossRef {
  loss: number;
  grads: Record<string, number[][]>;
  fdError: number;
}
const rng = new Rng(21);
const matrix = (rows: number, cols: number, scale = 1) =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
const mn = { a: matrix(5, 8), p: matrix(5, 8), n: matrix(5, 8), dims: [8, 4, 2], weights: [1, 0.5, 0.25] };
const mm = { q: matrix(6, 8, 0.5), p: matrix(6, 8, 0.5), n: matrix(6, 8, 0.5), labels: Array.from({ length: 6 }, () => rng.normal()), dims: [8, 3] };
let refs: LossRef[] = [];
beforeAll(() => {
  refs = trainReferenceBatch<LossRef>([
    { task: 'matryoshka', inner: 'mnrl', anchors: mn.a, positives: mn.p, negatives: mn.n, scale: 20, dims: mn.dims, weights: mn.weights },
    { task: 'matryoshka', inner: 'margin-mse', q: mm.q, pos: mm.p, neg: mm.n, labels: mm.labels, dims: mm.dims, weights: [1, 1] },
  ]);
});

function valueAndGrads(f: (xs: tf.Tensor2D[]) => tf.Scalar, inputs: number[][][]) {
  return tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(xs as tf.Tensor2D[]))(inputs.map((x) => tf.tensor2d(x)));
    return { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync()) };
  });
}

describe('MatryoshkaLoss', () => {
  it('over MNRL with hard negatives matches the float64 reference (value and every gradient)', () => {
    const ref = refs[0]!;
    expect(ref.fdError).toBeLessThan(1e-6);
    const before = tf.memory().numTensors;
    const core = (c: (tf.Tensor2D | null)[]) => mnrlFromEmbeddings(c[0]!, c[1]!, c[2]!, 20);
    const { value, grads } = valueAndGrads((xs) => matryoshkaFromEmbeddings(xs, { dims: mn.dims, weights: mn.weights }, core), [mn.a, mn.p, mn.n]);
    expect(Math.abs(value - ref.loss) / ref.loss).toBeLessThan(1e-5);
    ['anchors', 'positives', 'negatives'].forEach((k, i) => expect(maxRelError(grads[i]!, ref.grads[k]!.flat(), 1e-2), k).toBeLessThan(1e-4));
    expect(tf.memory().numTensors).toBe(before);
    // the full-size term alone is plain MNRL: the prefixes add to it
    const plain = tf.tidy(() => mnrlFromEmbeddings(tf.tensor2d(mn.a), tf.tensor2d(mn.p), tf.tensor2d(mn.n), 20).dataSync()[0]!);
    expect(value).toBeGreaterThan(plain);
  });

  it('over MarginMSE: the dot products of the re-normalized prefixes, as the reference', () => {
    const ref = refs[1]!;
    expect(ref.fdError).toBeLessThan(1e-6);
    const core = (c: (tf.Tensor2D | null)[]) => marginMseFromEmbeddings(c[0]!, c[1]!, c[2]!, mm.labels);
    const { value, grads } = valueAndGrads((xs) => matryoshkaFromEmbeddings(xs, { dims: mm.dims }, core), [mm.q, mm.p, mm.n]);
    expect(Math.abs(value - ref.loss) / ref.loss).toBeLessThan(1e-5);
    ['q', 'pos', 'neg'].forEach((k, i) => expect(maxRelError(grads[i]!, ref.grads[k]!.flat(), 1e-2), k).toBeLessThan(1e-4));
  });

  it('wraps a registered loss: each column embedded once per step, the same value and gradients as the core, no leak', () => {
    const texts = ['red shoe', 'blue mug', 'usb cable', 'desk lamp', 'wool scarf', 'rain jacket'];
    const table = tf.variable(tf.tensor2d(matrix(texts.length, 8)), true, 'matryoshka-test-table');
    let calls = 0;
    const encoder: TextEmbedder = {
      embedTexts: (t) => {
        calls++;
        return tf.matMul(
          tf
            .oneHot(
              t.map((x) => texts.indexOf(x)),
              texts.length,
            )
            .toFloat(),
          table,
        ) as tf.Tensor2D;
      },
    };
    const rows: TrainRow[] = [0, 1, 2].map((i) => ({ query: texts[i]!, positive: texts[i + 3]! }));
    const loss = matryoshkaLoss(createLoss('mnrl'), { dims: [8, 4, 2] });
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => loss.compute(encoder, rows, { training: false, seed: 1 }), [table]);
      return { value: value.dataSync()[0]!, grad: grads[table.name]!.dataSync() };
    });
    expect(calls).toBe(2); // query and positive columns, not once per prefix
    expect(tf.memory().numTensors).toBe(before);
    const want = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          matryoshkaFromEmbeddings(
            [encoder.embedTexts(texts.slice(0, 3), { training: false }), encoder.embedTexts(texts.slice(3), { training: false })],
            { dims: [8, 4, 2] },
            (c) => mnrlFromEmbeddings(c[0]!, c[1]!, null, 20),
          ),
        [table],
      );
      return { value: value.dataSync()[0]!, grad: grads[table.name]!.dataSync() };
    });
    expect(Math.abs(got.value - want.value)).toBeLessThan(1e-6);
    expect(maxRelError(got.grad, want.grad, 1e-3)).toBeLessThan(1e-5);
    expect(loss.name).toBe('matryoshka(mnrl)');
    table.dispose();
  });

  it('refuses bad dimensions and weights, and GradCache losses, with a clear message', () => {
    expect(() => matryoshkaLoss(createLoss('mnrl'), { dims: [] })).toThrow(/dims must be positive integers/);
    expect(() => matryoshkaLoss(createLoss('mnrl'), { dims: [64, 64] })).toThrow(/repeat a size/);
    expect(() => matryoshkaLoss(createLoss('mnrl'), { dims: [64, 32], weights: [1] })).toThrow(/weights must be 2 non-negative numbers/);
    expect(() => matryoshkaLoss(createLoss('cached-mnrl'), { dims: [64] })).toThrow(/cached-mnrl computes its own gradients/);
    expect(() => tf.tidy(() => matryoshkaFromEmbeddings([tf.zeros([2, 8]) as tf.Tensor2D], { dims: [16] }, (c) => c[0]!.sum() as tf.Scalar))).toThrow(
      /dimension 16 is above the embedding's 8/,
    );
  });
});
