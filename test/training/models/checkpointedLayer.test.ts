import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BertModel } from '../../../src/training/models/bert/bert.ts';
import { pool } from '../../../src/training/models/pooling.ts';
import { randomBertWeights } from '../../../src/training/init/randomBert.ts';
import { batchTensors, tinyBertConfig, tokenBatch } from '../../helpers/reference.ts';

describe('gradient checkpointing of BERT layers', () => {
  const config = tinyBertConfig({ hidden_dropout_prob: 0.2, attention_probs_dropout_prob: 0.2 });
  const model = BertModel.fromWeights(config, randomBertWeights(config, { seed: 9, perturbAll: true }));
  const inputs = batchTensors(
    tokenBatch([
      [2, 7, 7, 11, 3],
      [2, 5, 3],
      [2, 9, 13, 17, 19, 23, 3],
    ]),
  );
  const w = tf.randomNormal([3, config.hidden_size], 0, 1, 'float32', 4);
  const vars = [...model.trainableParams().values()];

  const step = (checkpoint: boolean, seed: number | undefined) => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(pool(model.forward(inputs, { training: true, seed, checkpoint }), inputs.attentionMask, 'mean'), w)) as tf.Scalar,
      vars,
    );
    const out = { loss: value.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync().slice()])) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };

  it('gives the same loss and gradients as the plain tape, dropout masks included, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const plain = step(false, 17);
    const ckpt = step(true, 17);
    expect(tf.memory().numTensors).toBe(before);
    expect(ckpt.loss).toBe(plain.loss);
    let worst = 0;
    for (const [k, g] of Object.entries(plain.grads)) {
      const h = ckpt.grads[k]!;
      const scale = Math.max(...Array.from(g, Math.abs), 1e-12);
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - h[i]!) / scale);
    }
    expect(worst).toBeLessThan(1e-5);
    // a different seed draws different masks, so the comparison above is not vacuous
    expect(step(true, 18).loss).not.toBe(ckpt.loss);
  });

  it('replays unseeded dropout masks: the gradient belongs to the masks of the reported loss', () => {
    // The last LayerNorm's output is gamma * n + beta, and the probe loss is linear in it, so
    // loss = <gamma, dL/dgamma> + <beta, dL/dbeta> exactly, where n depends on the dropout masks. If the
    // backward recomputation drew fresh masks, dL/dgamma would belong to another n and the identity breaks.
    const before = tf.memory().numTensors;
    const gamma = model.params.get('encoder.layer.1.output.LayerNorm.weight')!;
    const beta = model.params.get('encoder.layer.1.output.LayerNorm.bias')!;
    for (let trial = 0; trial < 3; trial++) {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(pool(model.forward(inputs, { training: true, checkpoint: true }), inputs.attentionMask, 'mean'), w)) as tf.Scalar,
        [gamma, beta],
      );
      const loss = value.dataSync()[0]!;
      const dot = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).reduce((s, x, i) => s + x * b.dataSync()[i]!, 0);
      const identity = dot(gamma, grads[gamma.name]!) + dot(beta, grads[beta.name]!);
      expect(Math.abs(loss - identity)).toBeLessThan(1e-4 * Math.max(1, Math.abs(loss)));
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
