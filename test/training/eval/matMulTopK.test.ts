import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { matMulTopK } from '../../../src/training/eval/matMulTopK.ts';
import { cosineTopK, normalizeRows } from '../../../src/training/eval/topk.ts';
import { Rng } from '../../../src/training/random/rng.ts';

const randomVecs = (n: number, dim: number, rng: Rng) => Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => rng.normal()));

describe('matMulTopK (blocked matrix products)', () => {
  it('returns exactly what the JS loop returns: same rows, same float64 scores, ties in corpus order', async () => {
    const rng = new Rng(3);
    const dim = 384;
    const base = randomVecs(600, dim, rng);
    // exact duplicates (ties), scaled copies (equal cosine, different float32 rounding) and near-duplicates
    const corpus = [...base];
    for (let i = 0; i < 60; i++) corpus.splice(7 * i + 3, 0, Float32Array.from(base[i]!));
    for (let i = 0; i < 30; i++) corpus.push(Float32Array.from(base[i]!, (v) => v * 3));
    for (let i = 0; i < 30; i++) corpus.push(Float32Array.from(base[i]!, (v, j) => v + (j === 0 ? 1e-6 : 0)));
    corpus.push(new Float32Array(dim)); // a zero row scores 0
    const queries = [...randomVecs(40, dim, rng), ...base.slice(0, 40), new Float32Array(dim)];
    const m = normalizeRows(corpus);
    const before = tf.memory().numTensors;
    for (const [k, queryBlock] of [
      [1, 512],
      [10, 7],
      [100, 64],
      [corpus.length + 5, 16],
    ] as const) {
      const want = cosineTopK(queries, m, k);
      const got = await matMulTopK(queries, m, k, { queryBlock });
      expect(got.map((h) => Array.from(h.indices))).toEqual(want.map((h) => Array.from(h.indices)));
      expect(got.map((h) => Array.from(h.scores))).toEqual(want.map((h) => Array.from(h.scores)));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps ties in corpus order on a tiny case, handles empty inputs, rejects a bad k and stops on abort', async () => {
    const dup = normalizeRows([Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(2, 0), Float32Array.of(1, 0)]);
    const [hit] = await matMulTopK([Float32Array.of(1, 0)], dup, 3);
    expect(Array.from(hit!.indices)).toEqual([0, 2, 3]);
    expect(await matMulTopK([], dup, 3)).toEqual([]);
    await expect(matMulTopK([Float32Array.of(1, 0)], dup, 0)).rejects.toThrow(/k must be a positive integer/);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(matMulTopK([Float32Array.of(1, 0)], dup, 1, { signal: ac.signal })).rejects.toThrow('stop');
  });
});
