import { describe, expect, it } from 'vitest';
import { parseTrainRows } from '../../../src/training/data/trainRows.ts';
import { validateRowsForLoss } from '../../../src/training/losses/registry.ts';

describe('parseTrainRows', () => {
  it('parses rows, skips blank lines and keeps optional columns', () => {
    const text = [
      '{"query": "red shoes", "positive": "crimson sneakers"}',
      '',
      '   ',
      '{"query": "oak table", "positive": "wooden desk", "negative": "steel chair", "margin": 2.5}',
      '{"query": "lamp", "positive": "desk light", "negative": "rug", "margin": "-1"}',
    ].join('\r\n');
    expect(parseTrainRows(text, 'train.jsonl')).toEqual([
      { query: 'red shoes', positive: 'crimson sneakers' },
      { query: 'oak table', positive: 'wooden desk', negative: 'steel chair', margin: 2.5 },
      { query: 'lamp', positive: 'desk light', negative: 'rug', margin: -1 },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    ['malformed JSON', '{"query": "a", "positive": "b"}\n{"query": "a", "positive": }', /^train\.jsonl:2: malformed JSON/],
    ['missing field', '{"query": "a", "positive": "b"}\n\n{"query": "a"}', /^train\.jsonl:3: missing field "positive"/],
    ['empty field', '{"query": "  ", "positive": "b"}', /^train\.jsonl:1: field "query" is empty/],
    ['non-string field', '{"query": 5, "positive": "b"}', /^train\.jsonl:1: field "query" must be a string/],
    ['empty negative', '{"query": "a", "positive": "b", "negative": ""}', /^train\.jsonl:1: field "negative" is empty/],
    [
      'non-numeric margin',
      '{"query": "a", "positive": "b", "negative": "c", "margin": "high"}',
      /^train\.jsonl:1: field "margin" must be a finite number, got "high"/,
    ],
    ['array row', '["a", "b"]', /^train\.jsonl:1: expected a JSON object/],
  ];
  for (const [what, text, message] of bad) {
    it(`reports ${what} with file and line`, () => {
      expect(() => parseTrainRows(text, 'train.jsonl')).toThrow(message);
    });
  }

  it('rejects an empty file', () => {
    expect(() => parseTrainRows('\n\n', 'empty.jsonl')).toThrow(/empty\.jsonl: no training rows \(the file is empty\)/);
  });
});

describe('validateRowsForLoss', () => {
  const pair = { query: 'a', positive: 'b' };
  const triple = { query: 'a', positive: 'b', negative: 'c' };
  it('mnrl accepts pairs or triples but not a mix', () => {
    expect(() => validateRowsForLoss([pair, pair], 'mnrl')).not.toThrow();
    expect(() => validateRowsForLoss([triple, triple], 'mnrl')).not.toThrow();
    expect(() => validateRowsForLoss([triple, triple, pair], 'mnrl', 'train.jsonl')).toThrow(
      /train\.jsonl: 2 of 3 rows have a "negative"; mnrl needs it on all rows or none \(row 3 differs from row 1\)/,
    );
  });

  it('margin-mse needs a negative and a margin on every row', () => {
    expect(() => validateRowsForLoss([{ ...triple, margin: 1 }], 'margin-mse')).not.toThrow();
    expect(() => validateRowsForLoss([{ ...triple, margin: 1 }, triple], 'margin-mse', 'd.jsonl')).toThrow(/d\.jsonl: row 2 has no "margin"/);
    expect(() => validateRowsForLoss([pair], 'margin-mse')).toThrow(/row 1 has no "negative"/);
  });

  it('names unknown losses', () => {
    expect(() => validateRowsForLoss([pair], 'cosent')).toThrow(/unknown loss "cosent"/);
  });
});
