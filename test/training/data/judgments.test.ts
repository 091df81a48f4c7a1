import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { countRelevant, parseJudgments } from '../../../src/training/data/judgments.ts';

describe('parseJudgments', () => {
  it('reads the Chorus dev judgments', () => {
    const text = readFileSync('../shared/data/chorus/judgments-dev.csv', 'utf8');
    const { judgments, warnings, rows, ratingColumn } = parseJudgments(text, 'judgments-dev.csv');
    const lines = text.split('\n').filter((l) => l.trim()).length;
    expect(rows).toBe(lines - 1);
    expect(ratingColumn).toBe('rating');
    expect(warnings).toEqual([]);
    expect(judgments.get('laptop')?.get('1229111')).toBe(0);
    let pairs = 0;
    for (const m of judgments.values()) {
      pairs += m.size;
      for (const r of m.values()) expect([0, 1, 2, 3]).toContain(r);
    }
    expect(pairs).toBe(rows); // no duplicate pairs in this file
    expect(judgments.size).toBe(
      new Set(
        text
          .split('\n')
          .slice(1)
          .filter((l) => l.trim())
          .map((l) => l.split(',')[0]),
      ).size,
    );
  });

  it('lists the columns found and the ones needed for a wrong header', () => {
    expect(() => parseJudgments('q,doc,score\na,1,2\n', 'j.csv')).toThrow(
      'j.csv: line 1: the header has columns "q", "doc", "score"; needed query, docid and rating (or final_rating); missing query, docid, rating (or final_rating)',
    );
    // a Quepid book export: one column per rater, no consolidated rating
    expect(() => parseJudgments('query,docid,alice,bob\nq,1,2,3\n', 'book.csv')).toThrow(/missing rating \(or final_rating\)$/);
    expect(() => parseJudgments('', 'empty.csv')).toThrow('empty.csv: empty file');
  });

  it('names the line and field of a bad rating', () => {
    expect(() => parseJudgments('query,docid,rating\nq,1,2\nq,2,high\n', 'j.csv')).toThrow(
      'j.csv: line 3: field "rating" is "high", not a number (expected 0–3)',
    );
    expect(() => parseJudgments('query,docid,rating\nq,1,4\n', 'j.csv')).toThrow('j.csv: line 2: field "rating" is 4, outside 0–3');
    expect(() => parseJudgments('query,docid,rating\nq,1,-1\n', 'j.csv')).toThrow('j.csv: line 2: field "rating" is -1, outside 0–3');
    expect(() => parseJudgments('query,docid,rating\nq,1,\n', 'j.csv')).toThrow('j.csv: line 2: field "rating" is "", not a number');
    expect(() => parseJudgments('query,docid,rating\n,1,2\n', 'j.csv')).toThrow('j.csv: line 2: field "query" is empty');
    expect(() => parseJudgments('query,docid,rating\nq,1\n', 'j.csv')).toThrow('j.csv: line 2: 2 fields, but the header has 3');
    expect(() => parseJudgments('query,docid,rating\n"q,1,2\n', 'j.csv')).toThrow(/^j\.csv: line 2: malformed CSV/);
  });

  it('counts physical lines across quoted newlines, blank lines and CRLF', () => {
    const csv = 'query,docid,rating\r\n"two\r\nline query",1,2\r\n\r\nq,2,x\r\n';
    expect(() => parseJudgments(csv, 'j.csv')).toThrow('j.csv: line 5: field "rating"');
    const ok = parseJudgments('\ufeffquery,docid,rating\r\n"two\r\nline query",1,2\r\n\r\n', 'j.csv');
    expect([...ok.judgments.keys()]).toEqual(['two\r\nline query']);
  });

  it('prefers final_rating over rating and accepts fractional consolidated ratings', () => {
    const csv = 'Query,DocID,alice,rating,final_rating\nshoes,10,3,1,2.5\nshoes,11,0,3,0\n';
    const { judgments, ratingColumn } = parseJudgments(csv, 'book.csv');
    expect(ratingColumn).toBe('final_rating');
    expect([...judgments.get('shoes')!]).toEqual([
      ['10', 2.5],
      ['11', 0],
    ]);
    expect(() => parseJudgments('query,docid,final_rating\nq,1,x\n', 'b.csv')).toThrow('b.csv: line 2: field "final_rating" is "x"');
  });

  it('keeps the last of duplicate pairs and warns', () => {
    const { judgments, warnings } = parseJudgments('query,docid,rating\nq,1,0\nq,2,1\nq,1,3\n', 'j.csv');
    expect(judgments.get('q')!.get('1')).toBe(3);
    expect(warnings).toEqual(['j.csv: 1 duplicate query/docid pair(s); the last rating wins: q / 1 (line 4)']);
  });

  it('reads tab-separated files and trims cells', () => {
    const { judgments } = parseJudgments('query\tdocid\trating\n usb cable \t 42 \t 3\n', 'j.tsv');
    expect(judgments.get('usb cable')!.get('42')).toBe(3);
  });

  it('counts relevant docs by threshold', () => {
    const m = new Map([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
    expect(countRelevant(m, 2)).toBe(2);
    expect(countRelevant(m, 1)).toBe(3);
  });
});
