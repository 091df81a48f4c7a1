/**
 * Hybrid ranking: BM25 and a dense model combined, the two ways search engines do it.
 *
 * - Reciprocal-rank fusion (Cormack et al. 2009): score(d) = Σ_lists 1 / (k + rank_d), k = 60, each list cut
 *   at `depth`; there are no score scales to calibrate (Elasticsearch's and OpenSearch's hybrid search use it).
 * - Linear mix: score(d) = bm25(d) / max_d' bm25(d') + w · cos(d), over the whole corpus. This is the shape
 *   of Chorus' Querqy "boost by vector" param set (the lexical query's score plus `boost` × vector
 *   similarity). Dividing by the query's best BM25 score makes one w fit every query, which raw BM25 (whose
 *   scale grows with the query's length and idf) does not; Querqy boosts only the vector's top-k among the
 *   lexical matches, here every product gets its cosine.
 * The weight default 1 (both sides up to 1 for a close match) and k = 60 are a priori, not tuned on any
 * judgments.
 */
import { bm25Tokens, type Bm25Index } from './bm25.ts';
import { dot, topRows, type NormalizedMatrix, type RowHits } from './topk.ts';

export type HybridFusion = 'rrf' | 'mix';

export interface HybridOptions {
  fusion: HybridFusion;
  /** RRF's rank constant; default 60 */
  rrfK?: number;
  /** how deep each list goes into RRF; default 1000 */
  rrfDepth?: number;
  /** the linear mix's weight of the cosine; default 1 */
  weight?: number;
}

export const defaultRrfK = 60;
export const defaultRrfDepth = 1000;
export const defaultMixWeight = 1;

/** RRF over rankings of corpus rows (best first); ties keep the row order. */
export function reciprocalRankFusion(lists: readonly Int32Array[], rows: number, k = defaultRrfK, depth = defaultRrfDepth): Float64Array {
  if (!(k >= 0)) throw new RangeError(`the RRF constant must be ≥ 0, got ${k}`);
  const fused = new Float64Array(rows);
  for (const list of lists) {
    const n = Math.min(list.length, depth);
    for (let i = 0; i < n; i++) fused[list[i]!] += 1 / (k + i + 1);
  }
  return fused;
}

/** bm25 / max(bm25) + weight · cosine, per corpus row. */
export function linearMix(bm25: Float64Array, cosines: Float64Array, weight = defaultMixWeight): Float64Array {
  if (bm25.length !== cosines.length) throw new RangeError(`${bm25.length} BM25 scores but ${cosines.length} cosines`);
  let max = 0;
  for (const s of bm25) if (s > max) max = s;
  const inv = max > 0 ? 1 / max : 0;
  return bm25.map((s, r) => s * inv + weight * cosines[r]!);
}

/** The cosine of a unit query vector with every row of the matrix. */
export function allCosines(query: Float32Array, m: NormalizedMatrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = dot(query, m.data.subarray(r * m.dim, (r + 1) * m.dim), m.dim);
  return out;
}

/**
 * The hybrid top-k of one query, given its BM25 scorer and its unit dense vector against the unit corpus
 * matrix. A query without any indexed term is ranked by the dense side alone (both fusions reduce to it).
 */
export function hybridTop(bm25: Bm25Index, query: string, queryVector: Float32Array, m: NormalizedMatrix, k: number, o: HybridOptions): RowHits {
  if (bm25.size !== m.rows) throw new RangeError(`BM25 indexes ${bm25.size} products, the dense matrix has ${m.rows}`);
  const cos = allCosines(queryVector, m);
  if (o.fusion === 'mix') return topRows(linearMix(bm25.scores(query), cos, o.weight ?? defaultMixWeight), k);
  const depth = o.rrfDepth ?? defaultRrfDepth;
  const lists = [topRows(cos, depth).indices];
  if (bm25Tokens(query).length) lists.push(bm25.search(query, depth).indices);
  return topRows(reciprocalRankFusion(lists, m.rows, o.rrfK ?? defaultRrfK, depth), k, (s) => s > 0);
}
