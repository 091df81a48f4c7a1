import { describe, expect, it } from 'vitest';
import { BatchCursor, noDuplicateBatches } from '../../../src/training/train/batches.ts';
import { Rng } from '../../../src/training/random/rng.ts';

/** 40 rows over 12 products: several queries share a positive, some share a query text */
const rng = new Rng(2);
const rows = Array.from({ length: 40 }, (_, i) => ({ query: `q${i % 31}`, positive: `p${rng.int(12)}` }));
const keys = (r: number) => [rows[r]!.query, rows[r]!.positive];

describe('no-duplicates batches (sentence-transformers NoDuplicatesBatchSampler)', () => {
  it('places every row once, never two rows sharing a text in a batch, greedily in order', () => {
    const order = Array.from({ length: 40 }, (_, i) => i);
    const batches = noDuplicateBatches(order, 8, keys);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(order);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(8);
      const texts = b.flatMap(keys);
      expect(new Set(texts).size).toBe(texts.length);
    }
    // the first batch is the greedy walk: each row joins unless a text of it is already in
    const first: number[] = [];
    const seen = new Set<string>();
    for (const r of order)
      if (first.length < 8 && !keys(r).some((k) => seen.has(k))) {
        first.push(r);
        keys(r).forEach((k) => seen.add(k));
      }
    expect(batches[0]).toEqual(first);
    // 12 positives cannot fill 40 rows into 5 batches without repeats: more batches, as in sentence-transformers
    expect(batches.length).toBeGreaterThan(5);
  });

  it('a cursor with keys hands out those batches every epoch and resumes mid-epoch to the same sequence', () => {
    const a = new BatchCursor(40, 8, true, 7, keys);
    const seq = Array.from({ length: 20 }, () => a.next());
    for (const b of seq) expect(new Set(b.flatMap(keys)).size).toBe(b.length * 2);
    const b = new BatchCursor(40, 8, true, 7, keys);
    for (let i = 0; i < 9; i++) b.next();
    const state = b.getState();
    const c = new BatchCursor(40, 8, true, 7, keys);
    c.setState(state);
    expect(Array.from({ length: 11 }, () => c.next())).toEqual(seq.slice(9));
    // without keys the same seed gives plain slices of the permutation
    expect(new BatchCursor(40, 8, true, 7).next()).toHaveLength(8);
  });
});
