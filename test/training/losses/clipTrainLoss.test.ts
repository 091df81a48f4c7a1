import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/training/random/rng.ts';
import { clipLossFromEmbeddings, type ClipEmbedder } from '../../../src/training/losses/clipLoss.ts';
import { createLoss, lossNames } from '../../../src/training/losses/registry.ts';
import { runPythonReference } from '../../helpers/pythonReference.ts';
import { maxRelError } from '../../helpers/trainReference.ts';

interface LossRef {
  loss: number;
  grads: { text: number[][]; image: number[][]; logit_scale: number };
  fdError: number;
}

const rng = new Rng(21);
const matrix = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
// scale 2.0 (≈ 7.4x) keeps both softmaxes soft; ln 100 makes them nearly one-hot; batch 1 is the degenerate case
const cases = [
  { text: matrix(5, 6), image: matrix(5, 6), scale: 2.0 },
  { text: matrix(4, 3), image: matrix(4, 3), scale: Math.log(100) },
  { text: matrix(1, 4), image: matrix(1, 4), scale: 1.0 },
];
let refs: LossRef[] = [];

beforeAll(() => {
  refs = runPythonReference('clip_train_reference.py', {
    batch: cases.map((c) => ({ task: 'loss', text: c.text, image: c.image, logit_scale: c.scale })),
  });
});

describe('clipLossFromEmbeddings', () => {
  cases.forEach((c, k) => {
    it(`matches the float64 reference, gradients included (case ${k + 1}, batch ${c.text.length})`, () => {
      const ref = refs[k]!;
      expect(ref.fdError).toBeLessThan(1e-6); // the reference's own gradients against its finite differences
      const before = tf.memory().numTensors;
      const { value, grads } = tf.tidy(() => {
        const f = (t: tf.Tensor, i: tf.Tensor, s: tf.Tensor) => clipLossFromEmbeddings(t as tf.Tensor2D, i as tf.Tensor2D, s);
        const { value, grads } = tf.valueAndGrads(f)([tf.tensor2d(c.text), tf.tensor2d(c.image), tf.scalar(c.scale)]);
        return { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync()) };
      });
      expect(Math.abs(value - ref.loss) / Math.max(1e-3, ref.loss)).toBeLessThan(1e-5); // batch 1: the loss is exactly 0
      expect(maxRelError(grads[0]!, ref.grads.text.flat(), 1e-2)).toBeLessThan(1e-4);
      expect(maxRelError(grads[1]!, ref.grads.image.flat(), 1e-2)).toBeLessThan(1e-4);
      expect(Math.abs(grads[2]![0]! - ref.grads.logit_scale)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.grads.logit_scale)));
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('is log(B) for identical directions at scale 0 and falls as matched pairs align', () => {
    const v = (t: number[][], i: number[][], s: number) =>
      tf.tidy(() => clipLossFromEmbeddings(tf.tensor2d(t), tf.tensor2d(i), tf.scalar(s)).dataSync()[0]!);
    const ones = [
      [1, 1],
      [1, 1],
      [1, 1],
    ];
    expect(v(ones, ones, 0)).toBeCloseTo(Math.log(3), 6);
    const eye = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(v(eye, eye, Math.log(100))).toBeLessThan(1e-6 + 2 * Math.log(1 + 2 * Math.exp(-100)));
    expect(
      v(
        eye,
        [
          [0, 1, 0],
          [0, 0, 1],
          [1, 0, 0],
        ],
        Math.log(100),
      ),
    ).toBeGreaterThan(99);
  });

  it('names the mismatch when the batch or embedding sizes differ', () => {
    expect(() => clipLossFromEmbeddings(tf.zeros([3, 4]), tf.zeros([2, 4]), tf.scalar(1))).toThrow(/batch sizes differ \(texts 3, images 2\)/);
    expect(() => clipLossFromEmbeddings(tf.zeros([2, 4]), tf.zeros([2, 5]), tf.scalar(1))).toThrow(/embedding sizes differ \(text 4, image 5\)/);
  });
});

describe("createLoss('clip')", () => {
  /** text and image embeddings as fixed random projections; the image one reads the pixels it gets */
  function fakeClip(): ClipEmbedder & { seen: string[][] } {
    const proj = tf.variable(tf.tensor2d(matrix(12, 4)));
    const seen: string[][] = [];
    return {
      seen,
      logitScale: tf.scalar(Math.log(10)),
      embedTexts(texts) {
        seen.push(texts);
        return tf.tensor2d(texts.map((t) => Array.from({ length: 4 }, (_, j) => Math.sin(t.length * (j + 1)))));
      },
      embedPixels(pixels) {
        return tf.matMul(pixels.reshape([pixels.shape[0], -1]), proj) as tf.Tensor2D;
      },
    };
  }
  const rows = [
    { text: 'red shoe', image: 'p1' },
    { text: 'blue mug, large', image: 'p2' },
    { text: 'lamp', image: 'p3' },
  ];

  it('is registered, embeds the texts and the prepared pixels, and equals the pure core', () => {
    expect(lossNames).toContain('clip');
    const enc = fakeClip();
    const pixels = tf.tensor4d(matrix(3, 12).flat(), [3, 3, 2, 2]);
    const before = tf.memory().numTensors;
    const loss = createLoss('clip');
    const value = tf.tidy(() => loss.compute(enc, rows, { training: true, seed: 1, batch: { pixels } }).dataSync()[0]!);
    expect(enc.seen).toEqual([rows.map((r) => r.text)]);
    const direct = tf.tidy(
      () =>
        clipLossFromEmbeddings(
          enc.embedTexts(
            rows.map((r) => r.text),
            { training: false },
          ),
          enc.embedPixels(pixels, { training: false }),
          enc.logitScale,
        ).dataSync()[0]!,
    );
    expect(value).toBeCloseTo(direct, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks rows and refuses a batch without pixels', () => {
    const loss = createLoss('clip');
    expect(() =>
      loss.validateRows(
        [
          { text: 'a', image: 'p1' },
          { text: ' ', image: 'p2' },
        ],
        'rows.jsonl',
      ),
    ).toThrow(/rows\.jsonl: row 2 has no "text"/);
    expect(() => loss.validateRows([], 'rows.jsonl')).toThrow(/no training rows/);
    expect(() => loss.compute(fakeClip(), rows, { training: true, seed: 0 })).toThrow(/has no pixels/);
    const two = tf.zeros([2, 3, 2, 2]) as tf.Tensor4D;
    expect(() => loss.compute(fakeClip(), rows, { training: true, seed: 0, batch: { pixels: two } })).toThrow(/3 rows but 2 images/);
    two.dispose();
  });
});
