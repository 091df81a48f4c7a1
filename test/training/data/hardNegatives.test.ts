import { describe, expect, it } from 'vitest';
import { filterReason, mineHardNegatives, type HardNegativeOptions, type MiningScorers } from '../../../src/training/data/hardNegatives.ts';
import { Bm25Index } from '../../../src/training/eval/bm25.ts';
import { normalizeRows, unit } from '../../../src/training/eval/topk.ts';
import type { TrainRow } from '../../../src/training/data/trainRows.ts';
import { Rng } from '../../../src/training/random/rng.ts';

/** 200 products over a 40-word vocabulary, 8-d random vectors; queries are a few words of their positive. */
const rng = new Rng(5);
const vocab = Array.from({ length: 40 }, (_, i) => `w${i}`);
const texts = Array.from(
  { length: 200 },
  (_, i) => `${Array.from({ length: 3 + rng.int(8) }, () => vocab[Math.floor(40 * rng.next() ** 1.5)]!).join(' ')} p${i}`,
);
const vecs = texts.map(() => Float32Array.from({ length: 8 }, () => rng.next() - 0.5));
const rows: TrainRow[] = Array.from({ length: 25 }, (_, i) => {
  const p = (i * 7) % 200;
  return { query: texts[p]!.split(' ').slice(0, 2).join(' '), positive: texts[p]! };
});
const positiveRow = rows.map((r) => texts.indexOf(r.positive));
const corpus = normalizeRows(vecs);
// a query vector near its positive's
const queryVecs = positiveRow.map((p) => unit(vecs[p]!.map((x) => x + 0.3 * (rng.next() - 0.5))));
const bm25 = new Bm25Index(texts);
const scorers: MiningScorers = { dense: { queries: queryVecs, positives: positiveRow.map((p) => unit(vecs[p]!)), corpus }, bm25 };
const judged = (i: number) => new Set([(positiveRow[i]! + 1) % 200]);

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, j) => s + x * b[j]!, 0);
const byScore = (scores: number[]) => (a: number, b: number) => scores[b]! - scores[a]! || a - b;

/** The same semantics, the slow way: full rankings, full sorts. */
function reference(o: HardNegativeOptions & { source: 'dense' | 'bm25' | 'both' }): TrainRow[] {
  const out: TrainRow[] = [];
  rows.forEach((row, i) => {
    const dense = texts.map((_, r) => cosine(queryVecs[i]!, corpus.data.subarray(r * 8, r * 8 + 8)));
    const lexical = Array.from(bm25.scores(row.query));
    const all = texts.map((_, r) => r);
    const banned = new Set([...judged(i), ...all.filter((r) => texts[r] === row.positive)]);
    const depth = (o.rangeMax ?? 100) + banned.size;
    const pool = new Set<number>();
    if (o.source !== 'bm25')
      [...all]
        .sort(byScore(dense))
        .slice(0, depth)
        .forEach((r) => pool.add(r));
    if (o.source !== 'dense')
      [...all]
        .filter((r) => lexical[r]! > 0)
        .sort(byScore(lexical))
        .slice(0, depth)
        .forEach((r) => pool.add(r));
    const scores = o.source === 'bm25' ? lexical : dense;
    const p = o.source === 'bm25' ? bm25.scoreText(row.query, row.positive) : cosine(queryVecs[i]!, unit(vecs[positiveRow[i]!]!));
    const ranked = [...pool].filter((r) => !banned.has(r)).sort(byScore(scores));
    const kept = ranked.slice(o.rangeMin ?? 0, o.rangeMax ?? 100).filter((r) => {
      const s = scores[r]!;
      return !(
        (o.maxScore !== undefined && s > o.maxScore) ||
        (o.minScore !== undefined && s < o.minScore) ||
        (o.absoluteMargin !== undefined && s > p - o.absoluteMargin) ||
        (o.relativeMargin !== undefined && s > p * (1 - o.relativeMargin))
      );
    });
    for (const r of kept.slice(0, o.numNegatives ?? 3)) out.push({ query: row.query, positive: row.positive, negative: texts[r]! });
  });
  return out;
}

describe('mineHardNegatives', () => {
  it.each<HardNegativeOptions & { source: 'dense' | 'bm25' | 'both' }>([
    { source: 'dense' },
    { source: 'dense', rangeMin: 3, rangeMax: 30, numNegatives: 5, absoluteMargin: 0.05 },
    { source: 'dense', relativeMargin: 0.1, maxScore: 0.9, minScore: 0.1 },
    { source: 'bm25', rangeMax: 20, absoluteMargin: 0.5 },
    { source: 'bm25', relativeMargin: 0.2, numNegatives: 1 },
    { source: 'both', rangeMin: 1, rangeMax: 40, maxScore: 0.8 },
  ])('equals a brute-force reference: %j', async (o) => {
    const r = await mineHardNegatives(rows, texts, scorers, o, judged);
    expect(r.rows).toEqual(reference(o));
    expect(r.stats.negatives).toBe(r.rows.length);
    expect(r.stats.scoredBy).toBe(o.source === 'bm25' ? 'bm25' : 'dense');
    // judged-relevant products and the positive itself are never negatives
    r.rows.forEach((row) => {
      const i = rows.findIndex((x) => x.query === row.query && x.positive === row.positive);
      expect(row.negative).not.toBe(row.positive);
      expect(judged(i).has(texts.indexOf(row.negative!))).toBe(false);
    });
  });

  it('counts what each filter removed and reports examples with scores', async () => {
    const r = await mineHardNegatives(rows, texts, scorers, { absoluteMargin: 0.4, maxScore: 0.75, rangeMax: 50, examples: 2 }, judged);
    const { filtered, candidates, excluded, outOfRange, unused, negatives } = r.stats;
    expect(filtered.maxScore).toBeGreaterThan(0);
    expect(filtered.absoluteMargin).toBeGreaterThan(0);
    // every candidate is accounted for exactly once
    expect(
      excluded + outOfRange + filtered.maxScore + filtered.minScore + filtered.absoluteMargin + filtered.relativeMargin + unused + negatives,
    ).toBe(candidates);
    expect(r.examples).toHaveLength(2);
    for (const e of r.examples) {
      for (const k of e.kept) expect(k.score).toBeLessThanOrEqual(Math.min(0.75, e.positive.score - 0.4));
      for (const f of e.filtered) expect(f.reason).toBe(filterReason(f.score, e.positive.score, { absoluteMargin: 0.4, maxScore: 0.75 }));
    }
  });

  it('samples at random reproducibly, from the survivors, in ranking order', async () => {
    const top = await mineHardNegatives(rows, texts, scorers, { numNegatives: 50, rangeMax: 50 });
    const a = await mineHardNegatives(rows, texts, scorers, { sampling: 'random', numNegatives: 3, rangeMax: 50, seed: 9 });
    const b = await mineHardNegatives(rows, texts, scorers, { sampling: 'random', numNegatives: 3, rangeMax: 50, seed: 9 });
    expect(a.rows).toEqual(b.rows);
    expect(a.rows).not.toEqual((await mineHardNegatives(rows, texts, scorers, { numNegatives: 3, rangeMax: 50 })).rows);
    for (const row of a.rows) {
      const pool = top.rows.filter((t) => t.query === row.query && t.positive === row.positive).map((t) => t.negative);
      expect(pool).toContain(row.negative);
    }
  });

  it('rescores with a cross-encoder when one is given, positive included', async () => {
    // a teacher that prefers short texts: the kept negatives are the shortest candidates
    const ce = async (pairs: [string, string][]) => pairs.map(([, t]) => -t.length);
    const r = await mineHardNegatives(rows.slice(0, 3), texts, { ...scorers, crossEncoder: ce }, { numNegatives: 2, rangeMax: 30 });
    expect(r.stats.scoredBy).toBe('cross-encoder');
    expect(r.examples[0]!.positive.score).toBe(-rows[0]!.positive.length);
    for (const e of r.examples) for (const f of e.kept) expect(f.score).toBeLessThanOrEqual(0);
  });

  it('scores a text outside the index with the corpus statistics', () => {
    for (const [i, t] of texts.slice(0, 20).entries()) expect(bm25.scoreText('w1 w3 w1', t)).toBeCloseTo(bm25.scores('w1 w3 w1')[i]!, 12);
  });

  it('refuses options it cannot honour, naming them', async () => {
    await expect(mineHardNegatives(rows, texts, { bm25 }, { source: 'dense' })).rejects.toThrow(/negatives from dense need a dense model/);
    await expect(mineHardNegatives(rows, texts, scorers, { rangeMin: 10, rangeMax: 10 })).rejects.toThrow(/rangeMax \(10\) must be above rangeMin/);
    await expect(mineHardNegatives(rows, texts, scorers, { numNegatives: 0 })).rejects.toThrow(/numNegatives must be an integer ≥ 1/);
  });
});
