import { describe, it, expect } from 'vitest';
import { parseJudgments } from '../../../src/training/data/judgments.ts';
import { describeUnknown, judgedQueries, splitByQuery, supervisedRows } from '../../../src/training/data/supervised.ts';
import { validateRowsForLoss } from '../../../src/training/losses/registry.ts';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const texts = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'alpha', 'golf']; // f has a's text
const csv = ['query,docid,rating', 'q1,a,3', 'q1,b,1', 'q1,zz,3', 'q1,c,2', 'q2,d,0', 'q2,e,0', 'q3,e,2', 'q3,yy,0'].join('\n');

describe('judgedQueries', () => {
  const parsed = parseJudgments(csv, 'j.csv');
  it('keeps positives at or above the threshold and reports unknown docids with their lines', () => {
    const j = judgedQueries(parsed.judgments, ids, { threshold: 2, lines: parsed.lines });
    expect(j.queries.map((q) => [q.text, q.positives])).toEqual([
      ['q1', [0, 2]],
      ['q3', [4]],
    ]);
    expect(j.unknown).toEqual([
      { query: 'q1', docid: 'zz', line: 4 },
      { query: 'q3', docid: 'yy', line: 9 },
    ]);
    expect(describeUnknown(j.unknown[0]!)).toBe('line 4: zz ("q1")');
    expect(j.withoutPositive).toEqual(['q2']);
    expect(judgedQueries(parsed.judgments, ids, { threshold: 1 }).queries[0]!.positives).toEqual([0, 1, 2]);
  });

  it('gives clear errors for an empty corpus, a corpus that shares no docid, and a wrong CSV header', () => {
    expect(() => judgedQueries(parsed.judgments, [])).toThrow(/the corpus is empty/);
    expect(() => judgedQueries(parsed.judgments, ['x', 'y'], { source: 'j.csv', lines: parsed.lines })).toThrow(
      /j\.csv: none of the 8 judged docids is in the corpus \(line 2: a \("q1"\)/,
    );
    expect(() => parseJudgments('query,doc,score\nq,a,1\n', 'bad.csv')).toThrow(/bad\.csv: line 1: .*missing docid, rating/);
  });
});

describe('supervisedRows', () => {
  const { queries } = judgedQueries(parseJudgments(csv, 'j.csv').judgments, ids);
  it("pairs each positive with N mined negatives, never a judged-relevant product or a positive's text", () => {
    // q1 candidates as mining would return them (relevant a, c excluded there; listed here to check the guard)
    const candidates = [Int32Array.of(0, 5, 1, 3, 6), Int32Array.of(3, 0, 1)];
    const { rows, stats } = supervisedRows(queries, texts, { hardNegatives: 2, candidates });
    expect(rows.filter((r) => r.query === 'q1')).toEqual([
      { query: 'q1', positive: 'alpha', negative: 'bravo' }, // b is judged 1 (< threshold): allowed
      { query: 'q1', positive: 'alpha', negative: 'delta' },
      { query: 'q1', positive: 'charlie', negative: 'bravo' },
      { query: 'q1', positive: 'charlie', negative: 'delta' },
    ]);
    expect(rows.filter((r) => r.query === 'q3').map((r) => r.negative)).toEqual(['delta', 'alpha']);
    expect(stats).toMatchObject({ rows: 6, queries: 2, shortOfNegatives: 0 });
    for (const r of rows) expect(r.negative).not.toBe(r.positive);
    validateRowsForLoss(rows, 'mnrl');
  });

  it('keeps the negative column all-or-none: short queries keep what they have, empty ones are dropped', () => {
    const { rows, stats } = supervisedRows(queries, texts, { hardNegatives: 3, candidates: [Int32Array.of(1), Int32Array.of(4)] });
    expect(stats.shortOfNegatives).toBe(1);
    expect(stats.droppedNoNegative).toEqual(['q3']);
    expect(rows).toEqual([
      { query: 'q1', positive: 'alpha', negative: 'bravo' },
      { query: 'q1', positive: 'charlie', negative: 'bravo' },
    ]);
    validateRowsForLoss(rows, 'mnrl');
    const plain = supervisedRows(queries, texts);
    expect(plain.rows.map((r) => r.negative)).toEqual([undefined, undefined, undefined]);
  });
});

describe('splitByQuery', () => {
  const qs = Array.from({ length: 50 }, (_, i) => `query ${i}`);
  it('puts every query on exactly one side, seeded and independent of input order', () => {
    const s = splitByQuery(qs, 0.2, 7);
    expect(s.validation).toHaveLength(10);
    expect(s.train).toHaveLength(40);
    expect(s.train.filter((q) => s.validation.includes(q))).toEqual([]);
    expect([...s.train, ...s.validation].sort()).toEqual([...qs].sort());
    expect(splitByQuery([...qs].reverse(), 0.2, 7)).toEqual(s);
    expect(splitByQuery(qs, 0.2, 8).validation).not.toEqual(s.validation);
  });

  it('handles duplicates and edge fractions', () => {
    expect(splitByQuery(['a', 'a', 'b'], 0.5, 1).train.length + splitByQuery(['a', 'a', 'b'], 0.5, 1).validation.length).toBe(2);
    expect(splitByQuery(['a', 'b', 'c'], 0.01, 1).validation).toHaveLength(1);
    expect(splitByQuery(['a', 'b', 'c'], 0.99, 1).train).toHaveLength(1);
    expect(splitByQuery(['a', 'b'], 0, 1)).toEqual({ train: ['a', 'b'], validation: [] });
    expect(() => splitByQuery(['a'], 1.5)).toThrow(/\[0, 1\]/);
  });
});
