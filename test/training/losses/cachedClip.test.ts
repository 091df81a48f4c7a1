import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { ClipEmbedder } from '../../../src/training/losses/clipLoss.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import type { ClipRow } from '../../../src/training/data/clipRows.ts';
import { Rng } from '../../../src/training/random/rng.ts';

/**
 * The clip loss through GradCache (`miniBatchSize`) against the plain clip loss on the same batch: the same
 * value and gradients for both towers and for the learned logit scale, which the cached path takes from
 * the full-batch loss. Small linear towers stand in for CLIP's (the GradCache arithmetic does not depend on them).
 */
const rng = new Rng(4);
const dim = 6;
const textW = tf.variable(
  tf.tensor2d(
    Array.from({ length: 26 * dim }, () => rng.normal() * 0.3),
    [26, dim],
  ),
  true,
  'text_w',
);
const imageW = tf.variable(
  tf.tensor2d(
    Array.from({ length: 12 * dim }, () => rng.normal() * 0.3),
    [12, dim],
  ),
  true,
  'image_w',
);
const logitScale = tf.variable(tf.scalar(Math.log(10)), true, 'logit_scale');
const vars = [textW, imageW, logitScale];

/** bag of letters through textW; flattened 3×2×2 pixels through imageW */
const towers: ClipEmbedder = {
  embedTexts: (texts) =>
    tf.tidy(() => {
      const bags = texts.map((t) => {
        const v = new Array(26).fill(0);
        for (const ch of t.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[ch.charCodeAt(0) - 97]++;
        return v;
      });
      return tf.matMul(tf.tensor2d(bags), textW);
    }),
  embedPixels: (pixels) => tf.tidy(() => tf.matMul(pixels.reshape([pixels.shape[0], 12]), imageW) as tf.Tensor2D),
  logitScale,
};

const words = ['red shoe', 'blue mug', 'green lamp', 'steel bottle', 'wool scarf', 'oak table', 'usb cable', 'cotton shirt', 'glass vase'];
const rows: ClipRow[] = words.map((text, i) => ({ text, image: `p${i}` }));
const pixels = tf.tensor4d(
  Array.from({ length: rows.length * 12 }, () => rng.next()),
  [rows.length, 3, 2, 2],
);

function diff(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const k of Object.keys(b)) {
    const [x, y] = [a[k]!.dataSync(), b[k]!.dataSync()];
    const scale = Math.max(...Array.from(y, Math.abs));
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}

describe('clip loss through GradCache', () => {
  it('equals the plain clip loss: value, both towers and the logit scale, for several mini-batch sizes', () => {
    const opts = { training: true, seed: 3, batch: { pixels } };
    const before = tf.memory().numTensors;
    const plain = tf.variableGrads(() => createLoss('clip').compute(towers, rows, opts), vars);
    for (const mini of [1, 2, 4, 9]) {
      const cached = createLoss('clip', { miniBatchSize: mini }).valueAndGrads!(towers, rows, opts, vars);
      expect(Math.abs(cached.value.dataSync()[0]! - plain.value.dataSync()[0]!)).toBeLessThanOrEqual(1e-5 * plain.value.dataSync()[0]!);
      expect(diff(cached.grads, plain.grads), `mini-batch ${mini}`).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(cached.grads.logit_scale!.dataSync()[0]!)).toBeGreaterThan(1e-4); // the scale really learns
      tf.dispose([cached.value, ...Object.values(cached.grads)]);
    }
    tf.dispose([plain.value, ...Object.values(plain.grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves a locked logit scale (not among the variables) without a gradient', () => {
    const opts = { training: true, seed: 3, batch: { pixels } };
    const cached = createLoss('clip', { miniBatchSize: 4 }).valueAndGrads!(towers, rows, opts, [textW, imageW]);
    expect(Object.keys(cached.grads).sort()).toEqual(['image_w', 'text_w']);
    tf.dispose([cached.value, ...Object.values(cached.grads)]);
  });
});
