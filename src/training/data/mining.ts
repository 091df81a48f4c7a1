/**
 * Candidate mining with the current bi-encoder: exact cosine top-k of each query over the corpus (eval/topk.ts),
 * minus the products a query must not get as a negative (its source product, judged-relevant products).
 *
 * Ranks are 1-based and counted *after* exclusions, like sentence-transformers' mine_hard_negatives
 * (range_min/range_max): rank 1 is the most similar product that may be used as a negative, so excluding the
 * source never shifts a rank range such as "skip the 2 closest products, they are often unlabelled positives".
 */
import { normalizeRows, type NormalizedMatrix } from '../eval/topk.ts';
import { matMulTopK } from '../eval/matMulTopK.ts';

export interface MineOptions {
  /** how deep the mined list is: candidates come from ranks 1..k (after exclusions); default 50 */
  k?: number;
  /** first rank kept (1-based, inclusive); default 1 */
  rankFrom?: number;
  /** last rank kept (inclusive); default k, clipped to k */
  rankTo?: number;
  /** corpus rows never returned for a query (source product, judged-relevant products) */
  exclude?: (queryIndex: number) => ReadonlySet<number> | undefined;
  /** queries per top-k call, the unit of progress and abort checks; default 256 */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface MinedCandidates {
  /** corpus row indices in rank order (best first), ranks rankFrom..rankTo */
  indices: Int32Array;
  /** cosine similarities aligned with indices */
  scores: Float32Array;
}

export function resolveRankRange(opts: Pick<MineOptions, 'k' | 'rankFrom' | 'rankTo'>): { k: number; from: number; to: number } {
  const k = opts.k ?? 50;
  const from = opts.rankFrom ?? 1;
  const to = Math.min(opts.rankTo ?? k, k);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(from) || from < 1) throw new RangeError(`rank-from must be an integer >= 1, got ${from}`);
  if (!Number.isInteger(to) || to < from) throw new RangeError(`rank-to (${opts.rankTo ?? k}, clipped to k = ${k}) must be >= rank-from (${from})`);
  return { k, from, to };
}

/**
 * For each query vector, the corpus rows at ranks rankFrom..rankTo of its cosine ranking with excluded rows
 * removed (fewer when the corpus runs out). Equal scores keep corpus order, so results are reproducible.
 */
export async function mineCandidates(
  queryVecs: readonly Float32Array[],
  corpus: readonly Float32Array[] | NormalizedMatrix,
  opts: MineOptions = {},
): Promise<MinedCandidates[]> {
  const { from, to } = resolveRankRange(opts);
  const m = Array.isArray(corpus) ? normalizeRows(corpus as Float32Array[]) : (corpus as NormalizedMatrix);
  const out: MinedCandidates[] = [];
  if (!queryVecs.length) return out;
  if (!m.rows) throw new RangeError('cannot mine candidates: the corpus is empty');
  const chunk = Math.max(1, opts.chunk ?? 256);
  for (let q0 = 0; q0 < queryVecs.length; q0 += chunk) {
    opts.signal?.throwIfAborted();
    const qs = queryVecs.slice(q0, q0 + chunk);
    const excl = qs.map((_, a) => opts.exclude?.(q0 + a));
    // Fetch deep enough that `to` ranks survive the largest exclusion set of this chunk.
    const extra = Math.max(0, ...excl.map((s) => s?.size ?? 0));
    const hits = await matMulTopK(qs, m, Math.min(m.rows, to + extra), { signal: opts.signal });
    hits.forEach((hit, a) => {
      const skip = excl[a];
      const idx: number[] = [];
      const sc: number[] = [];
      let rank = 0;
      for (let i = 0; i < hit.indices.length && rank < to; i++) {
        const r = hit.indices[i]!;
        if (skip?.has(r)) continue;
        rank++;
        if (rank >= from) {
          idx.push(r);
          sc.push(hit.scores[i]!);
        }
      }
      out.push({ indices: Int32Array.from(idx), scores: Float32Array.from(sc) });
    });
    opts.onProgress?.(Math.min(q0 + chunk, queryVecs.length), queryVecs.length);
  }
  return out;
}
