import { describe, it, expect } from 'vitest';
import { mineCandidates, resolveRankRange } from '../../../src/training/data/mining.ts';
import { normalizeRows } from '../../../src/training/eval/topk.ts';
import { Rng } from '../../../src/training/random/rng.ts';

const randomVecs = (n: number, dim: number, rng: Rng) => Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => rng.normal()));

/** Independent reference: float64 cosine of every pair, full sort (ties by index), exclusions, rank slice. */
function bruteForce(qs: Float32Array[], cs: Float32Array[], from: number, to: number, exclude: (i: number) => Set<number> = () => new Set()) {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return qs.map((q, i) => {
    const scored = cs.map((c, r) => ({ r, s: q.reduce((s, x, j) => s + x * c[j]!, 0) / (norm(q) * norm(c)) }));
    scored.sort((a, b) => b.s - a.s || a.r - b.r);
    const kept = scored.filter((x) => !exclude(i).has(x.r));
    return kept.slice(from - 1, to);
  });
}

describe('mineCandidates', () => {
  const rng = new Rng(7);
  const corpus = randomVecs(300, 24, rng);
  const queries = randomVecs(40, 24, rng);

  it('matches brute force for the top k', async () => {
    const got = await mineCandidates(queries, corpus, { k: 20, chunk: 7 });
    const want = bruteForce(queries, corpus, 1, 20);
    got.forEach((g, i) => {
      expect(Array.from(g.indices)).toEqual(want[i]!.map((x) => x.r));
      want[i]!.forEach((x, j) => expect(g.scores[j]).toBeCloseTo(x.s, 5));
    });
  });

  it('applies the rank range after exclusions (source product, judged-relevant products)', async () => {
    // Exclude each query's own best hit (as a source product would be) plus a few of its top-10 (judged relevant).
    const top = bruteForce(queries, corpus, 1, 10);
    const excl = top.map((t, i) => new Set([t[0]!.r, ...t.filter((_, j) => (i + j) % 3 === 0).map((x) => x.r)]));
    const got = await mineCandidates(queries, normalizeRows(corpus), { k: 12, rankFrom: 3, rankTo: 9, exclude: (i) => excl[i], chunk: 16 });
    const want = bruteForce(queries, corpus, 3, 9, (i) => excl[i]!);
    got.forEach((g, i) => {
      expect(g.indices.length).toBe(7);
      expect(Array.from(g.indices)).toEqual(want[i]!.map((x) => x.r));
      for (const r of g.indices) expect(excl[i]!.has(r)).toBe(false);
    });
  });

  it('still returns `to` ranks when an exclusion set is larger than k', async () => {
    const big = new Set(bruteForce([queries[0]!], corpus, 1, 60)[0]!.map((x) => x.r));
    const [got] = await mineCandidates([queries[0]!], corpus, { k: 5, exclude: () => big });
    expect(Array.from(got!.indices)).toEqual(bruteForce([queries[0]!], corpus, 1, 5, () => big)[0]!.map((x) => x.r));
  });

  it('returns fewer candidates when the corpus runs out, and reports progress', async () => {
    const seen: number[] = [];
    const got = await mineCandidates(queries.slice(0, 5), corpus.slice(0, 4), {
      k: 50,
      exclude: () => new Set([0]),
      chunk: 2,
      onProgress: (d) => seen.push(d),
    });
    for (const g of got) expect(Array.from(g.indices).sort()).toEqual([1, 2, 3]);
    expect(seen).toEqual([2, 4, 5]);
  });

  it('keeps ties in corpus order', async () => {
    const dup = [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(2, 0), Float32Array.of(1, 0)];
    const [got] = await mineCandidates([Float32Array.of(1, 0)], dup, { k: 3 });
    expect(Array.from(got!.indices)).toEqual([0, 2, 3]);
  });

  it('rejects bad ranges and an empty corpus with clear messages', async () => {
    expect(() => resolveRankRange({ k: 10, rankFrom: 5, rankTo: 3 })).toThrow(/rank-to \(3.*must be >= rank-from \(5\)/);
    expect(() => resolveRankRange({ k: 10, rankFrom: 12 })).toThrow(/clipped to k = 10/);
    expect(() => resolveRankRange({ k: 0 })).toThrow(/k must be a positive integer/);
    await expect(mineCandidates(queries, [], { k: 3 })).rejects.toThrow(/corpus is empty/);
  });
});
