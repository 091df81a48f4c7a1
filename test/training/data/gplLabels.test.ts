import { describe, it, expect } from 'vitest';
import { genqRows, marginRows, type LabelQuery } from '../../../src/training/data/gplLabels.ts';
import { formatTrainRows } from '../../../src/training/data/rowsFile.ts';
import { parseTrainRows } from '../../../src/training/data/trainRows.ts';
import { validateRowsForLoss } from '../../../src/training/losses/registry.ts';
import { loadCrossEncoder } from '../../../src/training/models/crossEncoder.ts';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { makeTinyCrossEncoder } from '../../helpers/crossEncoderFixture.ts';

const texts = Array.from({ length: 30 }, (_, i) => `product ${i} ${['red', 'blue', 'green'][i % 3]} ${i % 5 ? 'shoe' : 'bottle'}`);
texts[7] = texts[3]!; // two products with the same text

/** A deterministic stand-in scorer that records how it was called. */
function fakeCrossEncoder() {
  const calls: number[] = [];
  const f = (q: string, d: string) => ((q.length * 31 + [...d].reduce((h, c) => (h * 33 + c.charCodeAt(0)) % 9973, 7)) % 1000) / 97 - 5;
  return { calls, f, score: async (pairs: [string, string][]) => (calls.push(pairs.length), Float32Array.from(pairs, ([q, d]) => f(q, d))) };
}

const queries: LabelQuery[] = [
  { text: 'red shoe', source: 3, candidates: Int32Array.of(7, 4, 5, 6, 8, 9, 10) },
  { text: 'blue bottle', source: 10, candidates: Int32Array.of(15, 20, 25) },
  { text: 'green thing', candidates: Int32Array.of(1, 2, 3, 7, 11, 12) },
  { text: 'lonely', source: 0, candidates: Int32Array.of() },
];

describe('marginRows', () => {
  it('GPL rows: positive = source, margin = CE(q,pos) - CE(q,neg), no positive as its own negative', async () => {
    const ce = fakeCrossEncoder();
    const { rows, stats } = await marginRows(queries.slice(0, 2), texts, ce, { chunkQueries: 8 });
    expect(ce.calls).toEqual([1 + 6 + 1 + 3]); // one batched call; candidate 7 shares the source's text
    expect(stats).toMatchObject({ rows: 9, sourceQueries: 2, pairwiseQueries: 0 });
    for (const r of rows) {
      const q = queries.find((x) => x.text === r.query)!;
      expect(r.positive).toBe(texts[q.source!]);
      expect(r.negative).not.toBe(r.positive);
      expect(r.margin).toBeCloseTo(Math.fround(ce.f(r.query, r.positive)) - Math.fround(ce.f(r.query, r.negative!)), 12);
    }
    expect(rows.filter((r) => r.query === 'red shoe').map((r) => r.negative)).toEqual([4, 5, 6, 8, 9, 10].map((i) => texts[i]));
  });

  it('samples negativesPerQuery negatives (seeded, rank order kept)', async () => {
    const run = async (seed: number) =>
      (await marginRows(queries.slice(0, 1), texts, fakeCrossEncoder(), { negativesPerQuery: 2, seed })).rows.map((r) => r.negative);
    const a = await run(1);
    expect(a).toHaveLength(2);
    expect(await run(1)).toEqual(a);
    const order = [4, 5, 6, 8, 9, 10].map((i) => texts[i]);
    expect(order.indexOf(a[0]!)).toBeLessThan(order.indexOf(a[1]!));
    const seen = new Set<string>();
    for (let s = 0; s < 8; s++) (await run(s)).forEach((n) => seen.add(n!));
    expect(seen.size).toBeGreaterThan(2);
  });

  it('pairwise rows for queries without a source: numRelations distinct pairs, margin >= 0 = CE_i - CE_j', async () => {
    const ce = fakeCrossEncoder();
    const { rows, stats } = await marginRows([queries[2]!], texts, ce, { numRelations: 4, seed: 3 });
    expect(stats.pairwiseQueries).toBe(1);
    expect(rows).toHaveLength(4);
    const keys = new Set(rows.map((r) => [r.positive, r.negative].sort().join('|')));
    expect(keys.size).toBe(4);
    const cand = [1, 2, 3, 7, 11, 12].map((i) => texts[i]);
    for (const r of rows) {
      expect(cand).toContain(r.positive);
      expect(cand).toContain(r.negative);
      expect(r.negative).not.toBe(r.positive);
      expect(r.margin).toBeGreaterThanOrEqual(0);
      expect(r.margin).toBeCloseTo(Math.fround(ce.f(r.query, r.positive)) - Math.fround(ce.f(r.query, r.negative!)), 12);
    }
    // more relations than pairs: every pair once, except (3, 7) whose texts are equal
    const all = await marginRows([queries[2]!], texts, fakeCrossEncoder(), { numRelations: 100 });
    expect(all.rows).toHaveLength(15 - 1);
  });

  it('skips queries without candidates, chunks cross-encoder calls and reports pair progress', async () => {
    const ce = fakeCrossEncoder();
    const progress: [number, number][] = [];
    const { stats } = await marginRows(queries, texts, ce, { chunkQueries: 2, numRelations: 3, onProgress: (d, t) => progress.push([d, t]) });
    expect(stats.skipped.noCandidates).toBe(1);
    // chunk 1: queries 0 and 1 (source + 6 and source + 3 docs); chunk 2: the distinct docs of 3 pairs
    expect(ce.calls[0]).toBe(7 + 4);
    expect(ce.calls[1]).toBeGreaterThanOrEqual(3);
    expect(ce.calls[1]).toBeLessThanOrEqual(6);
    const total = 11 + ce.calls[1]!;
    expect(progress).toEqual([
      [11, total],
      [total, total],
    ]);
  });

  it('margins equal CE differences recomputed one pair at a time with a real cross-encoder', async () => {
    const ce = await loadCrossEncoder(folderSource(await makeTinyCrossEncoder()));
    try {
      const { rows } = await marginRows(queries, texts, ce, { numRelations: 5, batchSize: 4 });
      const back = parseTrainRows(formatTrainRows(rows), 'rows.jsonl');
      validateRowsForLoss(back, 'margin-mse');
      expect(back).toHaveLength(rows.length);
      for (const r of back) {
        const [pos, neg] = await ce.score(
          [
            [r.query, r.positive],
            [r.query, r.negative!],
          ],
          { batchSize: 1 },
        );
        expect(Math.abs(r.margin! - (pos! - neg!))).toBeLessThan(1e-5);
      }
    } finally {
      ce.dispose();
    }
  });
});

describe('genqRows', () => {
  it('MNRL rows with one mined hard negative; sourceless and candidate-less queries are skipped and counted', () => {
    const { rows, stats } = genqRows(queries, texts, { hardNegative: true, seed: 5 });
    expect(stats.skipped).toEqual({ noCandidates: 1, noSource: 1 });
    expect(rows.map((r) => r.query)).toEqual(['red shoe', 'blue bottle']);
    expect([4, 5, 6, 8, 9, 10].map((i) => texts[i])).toContain(rows[0]!.negative);
    for (const r of rows) expect(r.negative).not.toBe(r.positive);
    validateRowsForLoss(rows, 'mnrl');
    const plain = genqRows(queries, texts);
    expect(plain.rows.map((r) => r.negative)).toEqual([undefined, undefined, undefined]);
    expect(plain.rows[2]).toEqual({ query: 'lonely', positive: texts[0] });
  });
});
