/**
 * Exact cosine top-k with plain typed arrays. The corpus is L2-normalized once into one contiguous
 * Float32Array (19,406 × 384 floats ≈ 30 MB for Chorus); queries are scored in blocks so each corpus row is
 * read from memory once per block, and only k candidates per query are kept, never a queries × corpus
 * score matrix. Equal scores keep corpus order (lower index first), so rankings are reproducible.
 */

export interface NormalizedMatrix {
  /** row-major rows × dim, each row of unit length (all-zero rows stay zero and score 0) */
  data: Float32Array;
  rows: number;
  dim: number;
}

export interface TopKHit {
  /** corpus row indices, best first */
  indices: Int32Array;
  /** cosine similarities, aligned with indices */
  scores: Float32Array;
}

/** Rows of a score array, best first, with their float64 scores. */
export interface RowHits {
  indices: Int32Array;
  scores: Float64Array;
}

export interface TopKOptions {
  /** queries scored together per pass over the corpus; default 32 */
  queryBlock?: number;
  signal?: AbortSignal;
}

/**
 * The score every exact ranking here uses: a float64 dot product of two float32 rows. Four accumulators let
 * the JIT overlap multiply-adds (about 2x over one running sum); matMulTopK rescores with it, so both agree.
 */
export function dot(v: Float32Array, c: Float32Array, dim: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let j = 0;
  for (const body = dim - (dim % 4); j < body; j += 4) {
    s0 += v[j]! * c[j]!;
    s1 += v[j + 1]! * c[j + 1]!;
    s2 += v[j + 2]! * c[j + 2]!;
    s3 += v[j + 3]! * c[j + 3]!;
  }
  for (; j < dim; j++) s0 += v[j]! * c[j]!;
  return s0 + s1 + (s2 + s3);
}

/** Unit-length copy (a zero vector stays zero). */
export function unit(v: Float32Array): Float32Array {
  let ss = 0;
  for (const x of v) ss += x * x;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  return v.map((x) => x * inv);
}

export function normalizeRows(vectors: readonly Float32Array[], dim?: number): NormalizedMatrix {
  const d = dim ?? vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * d);
  vectors.forEach((v, r) => {
    if (v.length !== d) throw new RangeError(`vector ${r} has ${v.length} dimensions, expected ${d}`);
    let ss = 0;
    for (let j = 0; j < d; j++) ss += v[j]! * v[j]!;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    const off = r * d;
    for (let j = 0; j < d; j++) data[off + j] = v[j]! * inv;
  });
  return { data, rows: vectors.length, dim: d };
}

/**
 * For each query, the k most cosine-similar corpus rows (fewer when the corpus is smaller).
 * `corpus` may be raw vectors or a matrix from normalizeRows (reuse it across calls to skip normalization).
 */
export function cosineTopK(
  queries: readonly Float32Array[],
  corpus: readonly Float32Array[] | NormalizedMatrix,
  k: number,
  opts: TopKOptions = {},
): TopKHit[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const m = Array.isArray(corpus) ? normalizeRows(corpus as Float32Array[]) : (corpus as NormalizedMatrix);
  if (!queries.length) return [];
  const dim = m.rows ? m.dim : queries[0]!.length;
  const q = normalizeRows(queries, dim);
  const kk = Math.min(k, m.rows);
  const block = Math.max(1, opts.queryBlock ?? 32);
  const out: TopKHit[] = [];
  const cd = m.data;
  const qd = q.data;

  for (let q0 = 0; q0 < q.rows; q0 += block) {
    opts.signal?.throwIfAborted();
    const nq = Math.min(block, q.rows - q0);
    // Per query: candidates sorted by score desc; `count` filled so far.
    const topS = Array.from({ length: nq }, () => new Float64Array(kk));
    const topI = Array.from({ length: nq }, () => new Int32Array(kk));
    const count = new Int32Array(nq);
    const floor = new Float64Array(nq).fill(-Infinity);

    const qv = Array.from({ length: nq }, (_, a) => qd.subarray((q0 + a) * dim, (q0 + a + 1) * dim));
    for (let r = 0; r < m.rows; r++) {
      const c = cd.subarray(r * dim, (r + 1) * dim);
      for (let a = 0; a < nq; a++) {
        const s = dot(qv[a]!, c, dim);
        const n = count[a]!;
        // Strictly greater: a later row never displaces an equal earlier one (stable ties).
        if (n === kk && !(s > floor[a]!)) continue;
        const ts = topS[a]!;
        const ti = topI[a]!;
        let p = n === kk ? kk - 1 : n;
        while (p > 0 && ts[p - 1]! < s) {
          ts[p] = ts[p - 1]!;
          ti[p] = ti[p - 1]!;
          p--;
        }
        ts[p] = s;
        ti[p] = r;
        if (n < kk) count[a] = n + 1;
        if (count[a] === kk) floor[a] = ts[kk - 1]!;
      }
    }
    for (let a = 0; a < nq; a++) out.push({ indices: topI[a]!, scores: Float32Array.from(topS[a]!) });
  }
  return out;
}

/**
 * Rows of `scores` passing `keep`, the k best first, ties in row order: one pass with a sorted buffer of k
 * (a row enters only when it beats the buffer's last), so mining thousands of queries never sorts the corpus.
 */
export function topRows(scores: Float64Array, k: number, keep: (s: number) => boolean = () => true): RowHits {
  const cap = Math.max(0, Math.min(k, scores.length));
  const rows = new Int32Array(cap);
  const best = new Float64Array(cap);
  let n = 0;
  for (let r = 0; r < scores.length; r++) {
    const s = scores[r]!;
    if (!keep(s) || (n === cap && !(s > best[cap - 1]!))) continue;
    let p = n < cap ? n++ : cap - 1;
    while (p > 0 && best[p - 1]! < s) {
      best[p] = best[p - 1]!;
      rows[p] = rows[p - 1]!;
      p--;
    }
    best[p] = s;
    rows[p] = r;
  }
  return { indices: rows.slice(0, n), scores: best.slice(0, n) };
}
