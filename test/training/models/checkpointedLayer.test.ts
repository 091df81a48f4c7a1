import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BertModel, CHECKPOINT_MIN_BYTES, checkpointPaysOff } from '../../../src/training/models/bert/bert.ts';
import { bertDefaults } from '../../../src/training/models/bert/bertConfig.ts';
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

  it('checkpoints by default only when the kept intermediates would be large', () => {
    const scratch = { ...bertDefaults, hidden_size: 128, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4 };
    const miniLm = { ...bertDefaults, hidden_size: 384, intermediate_size: 1536, num_hidden_layers: 6, num_attention_heads: 12 };
    expect(checkpointPaysOff(scratch, 64, 24)).toBe(false);
    expect(checkpointPaysOff(miniLm, 16, 32)).toBe(true);
    // the threshold itself: per token (10·384 + 2·1536 + 3·12·S) floats per layer
    const bytes = (B: number, S: number) => B * S * (10 * 384 + 2 * 1536 + 36 * S) * 4 * 6;
    const B = Math.floor(CHECKPOINT_MIN_BYTES / bytes(1, 32));
    expect(checkpointPaysOff(miniLm, B, 32)).toBe(false);
    expect(checkpointPaysOff(miniLm, B + 1, 32)).toBe(true);
    // the unset option follows the estimate: a tiny model's default forward is the plain tape's, bit for bit
    const plain = step(false, 21);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(pool(model.forward(inputs, { training: true, seed: 21 }), inputs.attentionMask, 'mean'), w)) as tf.Scalar,
      vars,
    );
    expect(value.dataSync()[0]).toBe(plain.loss);
    for (const [k, g] of Object.entries(grads)) expect(Array.from(g.dataSync())).toEqual(Array.from(plain.grads[k]!));
    tf.dispose([value, ...Object.values(grads)]);
  });
});
