/**
 * Exact cosine top-k at matrix speed: one tfjs matMul per block of queries scores the whole corpus in float32
 * (XNNPACK on wasm, the GPU on WebGPU), which only *picks candidates*: every row within twice float32's error
 * bound of a query's k-th score. The candidates are rescored with cosineTopK's float64 `dot` and ordered as it
 * orders them (score descending, equal scores in corpus order), so the result is cosineTopK's, bit for bit.
 *
 * Why the slack is enough: for unit rows each float32 dot product is off by at most e = dim·2⁻²³ (plus
 * FMA-free rounding, well inside the factor 2 kept); every true top-k row scores at least E_k − e in float32,
 * and the float32 k-th score is at most E_k + e, so "float32 ≥ k-th − 2e" keeps them all.
 */
import * as tf from '@tensorflow/tfjs';
import { dot, normalizeRows, type NormalizedMatrix, type TopKHit, type TopKOptions } from './topk.ts';

/** score-matrix floats per block (64 MB): bounds memory whatever the corpus size */
const BLOCK_FLOATS = 1 << 24;

/** The k-th largest of `row` (k ≤ row.length): a small sorted buffer, one pass. */
function kthLargest(row: Float32Array, k: number): number {
  const top = new Float32Array(k).fill(-Infinity);
  for (let r = 0; r < row.length; r++) {
    const s = row[r]!;
    if (!(s > top[k - 1]!)) continue;
    let p = k - 1;
    while (p > 0 && top[p - 1]! < s) {
      top[p] = top[p - 1]!;
      p--;
    }
    top[p] = s;
  }
  return top[k - 1]!;
}

export async function matMulTopK(queries: readonly Float32Array[], corpus: NormalizedMatrix, k: number, opts: TopKOptions = {}): Promise<TopKHit[]> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!queries.length) return [];
  if (!corpus.rows) return queries.map(() => ({ indices: new Int32Array(0), scores: new Float32Array(0) }));
  const { rows, dim } = corpus;
  const q = normalizeRows(queries, dim);
  const kk = Math.min(k, rows);
  const slack = 4 * dim * 2 ** -23;
  const block = Math.max(1, Math.min(opts.queryBlock ?? 512, Math.floor(BLOCK_FLOATS / rows)));
  // [dim, rows] once, so each block is a plain (untransposed) matMul, the fast orientation on wasm
  const corpusT = tf.tidy(() => tf.tensor2d(corpus.data, [rows, dim]).transpose<tf.Tensor2D>());
  const out: TopKHit[] = [];
  try {
    for (let q0 = 0; q0 < q.rows; q0 += block) {
      opts.signal?.throwIfAborted();
      const nq = Math.min(block, q.rows - q0);
      const scores = tf.tidy(() => tf.matMul(tf.tensor2d(q.data.subarray(q0 * dim, (q0 + nq) * dim), [nq, dim]), corpusT));
      let data: Float32Array;
      try {
        data = (await scores.data()) as Float32Array;
      } finally {
        scores.dispose();
      }
      for (let a = 0; a < nq; a++) {
        const row = data.subarray(a * rows, (a + 1) * rows);
        const floor = kthLargest(row, kk) - slack;
        const v = q.data.subarray((q0 + a) * dim, (q0 + a + 1) * dim);
        const cand: { r: number; s: number }[] = [];
        for (let r = 0; r < rows; r++) if (row[r]! >= floor) cand.push({ r, s: dot(v, corpus.data.subarray(r * dim, (r + 1) * dim), dim) });
        cand.sort((x, y) => y.s - x.s || x.r - y.r);
        const top = cand.slice(0, kk);
        out.push({ indices: Int32Array.from(top, (c) => c.r), scores: Float32Array.from(top, (c) => c.s) });
      }
    }
  } finally {
    corpusT.dispose();
  }
  return out;
}
