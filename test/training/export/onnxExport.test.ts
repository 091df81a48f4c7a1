import { describe, it, expect } from 'vitest';
import { buildBertOnnx, BERT_ONNX_OPSET } from '../../../src/training/export/bertOnnx.ts';
import { bertDefaults, type BertConfig } from '../../../src/training/models/bert/bertConfig.ts';
import { randomBertWeights } from '../../../src/training/init/randomBert.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import * as tf from '@tensorflow/tfjs';
import * as ortWeb from 'onnxruntime-web';
import { BertModel } from '../../../src/training/models/bert/bert.ts';
import { l2normalize, pool } from '../../../src/training/models/pooling.ts';
import type { TensorMap } from '../../../src/training/weights/safetensors.ts';
import { checkOnnxModel, decodeModel, encodeModel, initializer, maxAbsDiff, referenceBert, runOrt, type Batch } from '../../helpers/onnx.ts';

type Pooling = 'mean' | 'cls' | 'max';
const sc = (pooling: Pooling, normalize: boolean) => ({ maxSeqLength: 16, pooling, normalize });

function tinyConfig(act: BertConfig['hidden_act']): BertConfig {
  // initializer_range 0.2 makes attention far from uniform, so masking and softmax errors would show.
  return {
    ...bertDefaults,
    vocab_size: 40,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 48,
    max_position_embeddings: 16,
    hidden_act: act,
    initializer_range: 0.2,
    layer_norm_eps: 1e-12,
  };
}

/** Three rows padded to 7 tokens (right padding, as HF tokenizers do), with both token types. */
function paddedBatch(seed: number, vocab: number): Batch {
  const rng = new Rng(seed);
  const lengths = [7, 4, 2];
  const S = 7;
  return {
    ids: lengths.map((n) => Array.from({ length: S }, (_, s) => (s < n ? 1 + rng.int(vocab - 1) : 0))),
    mask: lengths.map((n) => Array.from({ length: S }, (_, s) => (s < n ? 1 : 0))),
    types: lengths.map((n) => Array.from({ length: S }, (_, s) => (s < n && s >= n / 2 ? 1 : 0))),
  };
}

/** The tfjs encoder (H2's BertModel + pooling) on the same batch, as the training side computes it. */
function tfjsForward(config: BertConfig, weights: TensorMap, pooling: Pooling, normalize: boolean, b: Batch) {
  const model = BertModel.fromWeights(config, weights);
  try {
    return tf.tidy(() => {
      const t = (rows: number[][]) => tf.tensor2d(rows, undefined, 'int32');
      const inputs = { inputIds: t(b.ids), attentionMask: t(b.mask), tokenTypeIds: t(b.types) };
      const hidden = model.forward(inputs, { training: false });
      const pooled = pool(hidden, inputs.attentionMask, pooling);
      const sentence = normalize ? l2normalize(pooled) : pooled;
      return { hidden: hidden.dataSync() as Float32Array, sentence: sentence.dataSync() as Float32Array };
    });
  } finally {
    model.dispose();
  }
}

describe('buildBertOnnx', () => {
  it('writes a structurally valid opset 17 model with symbolic batch/sequence dims', () => {
    const config = tinyConfig('gelu');
    const bytes = buildBertOnnx(config, randomBertWeights(config, { seed: 1 }), sc('mean', true));
    expect(checkOnnxModel(bytes)).toEqual([]);
    const m = decodeModel(bytes);
    expect(m.producerName).toBe('ftlab');
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', BERT_ONNX_OPSET]]);
    const g = m.graph;
    const dims = (v: (typeof g.input)[number]) => v.type!.tensorType!.shape!.dim.map((d) => d.dimParam || Number(d.dimValue));
    expect(g.input.map((i) => [i.name, i.type!.tensorType!.elemType, dims(i)])).toEqual(
      ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => [n, 7, ['batch_size', 'sequence_length']]),
    );
    expect(g.output.map((o) => [o.name, o.type!.tensorType!.elemType, dims(o)])).toEqual([
      ['last_hidden_state', 1, ['batch_size', 'sequence_length', 32]],
      ['sentence_embedding', 1, ['batch_size', 32]],
    ]);
    expect(g.initializer.some((t) => t.name.startsWith('pooler.'))).toBe(false);
    expect(new Set(g.node.map((n) => n.opType)).has('LayerNormalization')).toBe(true);
  });

  it('has a structural checker that rejects unordered nodes, short initializers and undeclared ops', () => {
    const config = tinyConfig('gelu');
    const bytes = buildBertOnnx(config, randomBertWeights(config, { seed: 1 }), sc('mean', true));
    const m = decodeModel(bytes);
    const g = m.graph;
    [g.node[0], g.node[5]] = [g.node[5]!, g.node[0]!];
    g.initializer[0]!.rawData = g.initializer[0]!.rawData.subarray(4);
    g.node[9]!.domain = 'com.microsoft';
    const problems = checkOnnxModel(encodeModel(m)).join('\n');
    expect(problems).toMatch(/used before definition/);
    expect(problems).toMatch(/bytes for dims/);
    expect(problems).toMatch(/domain "com.microsoft"/);
  });

  it('stores linear weights transposed for MatMul', () => {
    const config = tinyConfig('gelu');
    const weights = randomBertWeights(config, { seed: 2 });
    const bytes = buildBertOnnx(config, weights, sc('cls', false));
    const t = initializer(bytes, 'encoder.layer.1.intermediate.dense.weight.T')!;
    const w = weights.get('encoder.layer.1.intermediate.dense.weight')!; // [48, 32]
    expect(t.dims).toEqual([32, 48]);
    expect(t.values[5 * 48 + 7]).toBe(w.data[7 * 32 + 5]);
    expect(t.values[31 * 48 + 47]).toBe(w.data[47 * 32 + 31]);
  });

  it('names the missing tensor when weights are incomplete', () => {
    const config = tinyConfig('gelu');
    const weights = randomBertWeights(config, { seed: 3 });
    weights.delete('encoder.layer.1.output.dense.bias');
    expect(() => buildBertOnnx(config, weights, sc('mean', true))).toThrow(/encoder\.layer\.1\.output\.dense\.bias/);
  });

  const cases: [BertConfig['hidden_act'], Pooling, boolean][] = [
    ['gelu', 'mean', true],
    ['gelu', 'mean', false],
    ['gelu_new', 'cls', true],
    ['gelu_new', 'max', false],
    ['relu', 'max', true],
    ['gelu_pytorch_tanh', 'cls', false],
  ];
  it.each(cases)('onnxruntime matches the tfjs encoder and a float64 reference (%s, %s pooling, normalize %s)', async (act, pooling, normalize) => {
    const before = tf.memory().numTensors;
    const config = tinyConfig(act);
    const weights = randomBertWeights(config, { seed: 11, perturbAll: true });
    const batch = paddedBatch(5, config.vocab_size);
    const bytes = buildBertOnnx(config, weights, sc(pooling, normalize));
    expect(checkOnnxModel(bytes)).toEqual([]);
    const ort = await runOrt(bytes, batch);
    const ref = referenceBert(config, weights, { pooling, normalize }, batch);
    expect(ort.dims).toEqual([3, 7, 32]);
    expect(maxAbsDiff(ort.hidden, ref.hidden)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ort.sentence, ref.sentence)).toBeLessThan(1e-5);
    const tfjs = tfjsForward(config, weights, pooling, normalize, batch);
    expect(maxAbsDiff(ort.hidden, tfjs.hidden)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ort.sentence, tfjs.sentence)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
    if (normalize) expect(Math.hypot(...ort.sentence.subarray(32, 64))).toBeCloseTo(1, 5);
  });

  it('runs in onnxruntime-web (the WASM runtime transformers.js uses in browsers)', async () => {
    const config = tinyConfig('gelu');
    const weights = randomBertWeights(config, { seed: 12, perturbAll: true });
    const batch = paddedBatch(6, config.vocab_size);
    const bytes = buildBertOnnx(config, weights, sc('max', true));
    ortWeb.env.wasm.numThreads = 1;
    const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    try {
      const t = (rows: number[][]) => new ortWeb.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
      const out = await session.run({ input_ids: t(batch.ids), attention_mask: t(batch.mask), token_type_ids: t(batch.types) });
      const ref = referenceBert(config, weights, { pooling: 'max', normalize: true }, batch);
      expect(maxAbsDiff(out.last_hidden_state!.data as Float32Array, ref.hidden)).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.sentence_embedding!.data as Float32Array, ref.sentence)).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });
});
