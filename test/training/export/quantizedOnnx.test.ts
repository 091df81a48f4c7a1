import { describe, expect, it } from 'vitest';
import { buildBertOnnx } from '../../../src/training/export/bertOnnx.ts';
import { quantizeMatMulWeights, transformOnnx, withFloat16Weights } from '../../../src/training/export/onnx/quantize.ts';
import { bertDefaults, type BertConfig } from '../../../src/training/models/bert/bertConfig.ts';
import { randomBertWeights } from '../../../src/training/init/randomBert.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { checkOnnxModel, decodeModel, runOrt, type Batch } from '../../helpers/onnx.ts';

/**
 * The 8-bit and fp16 variants of a BERT sentence encoder's graph, run by onnxruntime-node against the
 * float32 graph on a padded batch: structurally valid (the checker's rules), every weight MatMul and
 * embedding lookup replaced, and sentence embeddings close to float32's.
 */
const config: BertConfig = {
  ...bertDefaults,
  vocab_size: 500,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 128,
  max_position_embeddings: 32,
};
const fp32 = buildBertOnnx(config, randomBertWeights(config, { seed: 4 }), { maxSeqLength: 32, pooling: 'mean', normalize: true });

function batch(): Batch {
  const rng = new Rng(9);
  const lengths = [12, 9, 5, 3, 12, 7];
  return {
    ids: lengths.map((n) => Array.from({ length: 12 }, (_, s) => (s < n ? 1 + rng.int(499) : 0))),
    mask: lengths.map((n) => Array.from({ length: 12 }, (_, s) => (s < n ? 1 : 0))),
    types: lengths.map(() => Array.from({ length: 12 }, () => 0)),
  };
}

/** per-row cosine between two [rows, dim] unit-vector batches */
function cosines(a: Float32Array, b: Float32Array, dim: number): number[] {
  return Array.from({ length: a.length / dim }, (_, r) => {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += a[r * dim + i]! * b[r * dim + i]!;
    return dot;
  });
}

describe('quantized and half-precision ONNX variants', () => {
  it.each(['uint8', 'int8'] as const)('%s: weights and embedding tables in 8 bits, embeddings within cosine 0.99 of float32', async (type) => {
    const q = transformOnnx(fp32, (m) => quantizeMatMulWeights(m, type));
    expect(checkOnnxModel(q)).toEqual([]);
    const g = decodeModel(q).graph;
    const inits = new Set(g.initializer.map((t) => t.name));
    expect(g.node.filter((n) => n.opType === 'MatMul' && inits.has(n.input[1]!))).toEqual([]);
    // q, k, v, output, two feed-forward matrices per layer
    expect(g.node.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(6 * config.num_hidden_layers);
    // the word and token-type tables are looked up (Gather) and quantized; the position table is sliced and stays float
    const floatTables = g.initializer.filter((t) => t.dataType === 1 && t.dims.length === 2 && Number(t.dims[1]) > 1).map((t) => t.name);
    expect(floatTables).toEqual(['embeddings.position_embeddings.weight']);
    expect(inits.has('embeddings.word_embeddings.weight_quantized')).toBe(true);
    expect(q.length).toBeLessThan(0.4 * fp32.length); // a quarter plus scales, the float position table and the graph
    const [ref, got] = [await runOrt(fp32, batch()), await runOrt(q, batch())];
    const cos = cosines(ref.sentence, got.sentence, config.hidden_size);
    console.log(
      `${type}: ${(q.length / 1024).toFixed(0)} KiB of ${(fp32.length / 1024).toFixed(0)}, cosine to fp32 min ${Math.min(...cos).toFixed(5)}`,
    );
    expect(Math.min(...cos)).toBeGreaterThan(0.99);
    expect(Math.min(...cos)).toBeLessThan(1 - 1e-7); // the weights did change
  });

  it('fp16: half the bytes, float32 inputs and outputs, embeddings within cosine 0.9999', async () => {
    const h = transformOnnx(fp32, withFloat16Weights);
    expect(checkOnnxModel(h)).toEqual([]);
    expect(h.length).toBeLessThan(0.55 * fp32.length);
    const m = decodeModel(h);
    expect(m.graph.output.map((o) => o.type?.tensorType?.elemType)).toEqual([1, 1]);
    // the attention mask's float32 minimum does not fit float16: its constant stays float32
    expect(m.graph.initializer.some((t) => t.dataType === 1)).toBe(true);
    const [ref, got] = [await runOrt(fp32, batch()), await runOrt(h, batch())];
    const cos = cosines(ref.sentence, got.sentence, config.hidden_size);
    expect(Math.min(...cos)).toBeGreaterThan(0.9999);
    expect(got.sentence.every(Number.isFinite)).toBe(true);
  });
});
