import { describe, expect, it } from 'vitest';
import type { Product } from '../../../src/training/data/corpus.ts';
import type { Judgments } from '../../../src/training/data/judgments.ts';
import { checkClipRowImages, formatClipRows, parseClipRows, supervisedClipRows, unsupervisedClipRows } from '../../../src/training/data/clipRows.ts';

describe('parseClipRows', () => {
  it('reads {"text","image"} lines, integer image ids included, and round-trips through formatClipRows', () => {
    const rows = parseClipRows('{"text": "red shoe", "image": "p1"}\n\n{"text":"mug","image":42}\n', 'rows.jsonl');
    expect(rows).toEqual([
      { text: 'red shoe', image: 'p1' },
      { text: 'mug', image: '42' },
    ]);
    expect(parseClipRows(formatClipRows(rows), 'again')).toEqual(rows);
    expect(formatClipRows([])).toBe('');
  });

  it('names the file, line and field of a bad row', () => {
    expect(() => parseClipRows('{"text":"a","image":"p"}\n{"text":"b"}', 'r.jsonl')).toThrow(/^r\.jsonl:2: missing field "image"$/);
    expect(() => parseClipRows('{"text":3,"image":"p"}', 'r.jsonl')).toThrow(/r\.jsonl:1: field "text" must be a string, got number/);
    expect(() => parseClipRows('{"text":"a","image":" "}', 'r.jsonl')).toThrow(/r\.jsonl:1: field "image" is empty/);
    expect(() => parseClipRows('\n{"text":"a",', 'r.jsonl')).toThrow(/r\.jsonl:2: malformed JSON/);
    expect(() => parseClipRows('["a","p"]', 'r.jsonl')).toThrow(/r\.jsonl:1: expected a JSON object like \{"text"/);
    expect(() => parseClipRows('\n\n', 'r.jsonl')).toThrow(/r\.jsonl: no training rows/);
  });

  it('checkClipRowImages lists the rows naming unknown images', () => {
    const rows = [
      { text: 'a', image: 'p1' },
      { text: 'b', image: 'nope' },
      { text: 'c', image: 'p2' },
      { text: 'd', image: 'gone' },
    ];
    const has = (k: string) => k.startsWith('p');
    expect(() => checkClipRowImages(rows, has, 'rows.jsonl', 'images/')).toThrow(
      'rows.jsonl: 2 of 4 rows name images that are not in images/: row 2 "nope", row 4 "gone"',
    );
    expect(() =>
      checkClipRowImages(
        rows.filter((r) => has(r.image)),
        has,
        'rows.jsonl',
        'images/',
      ),
    ).not.toThrow();
  });
});

const product = (id: string, fields: Record<string, unknown>): Product => ({ id, fields: { id, ...fields } });

describe('unsupervisedClipRows', () => {
  it('pairs each product text (title supplier product type) with its own image, reporting the skipped ones', () => {
    const products = [
      product('1', { title: 'Trail shoe', supplier: 'Acme', attr_t_product_type: 'Footwear' }),
      product('2', { title: 'Mug', supplier: null }),
      product('3', { title: 'Lamp', supplier: 'Lux' }),
      product('4', { supplier: '' }),
    ];
    const out = unsupervisedClipRows(products, (id) => id !== '3');
    expect(out.rows).toEqual([
      { text: 'Trail shoe Acme Footwear', image: '1' },
      { text: 'Mug', image: '2' },
    ]);
    expect(out.withoutImage).toEqual(['3']);
    expect(out.withoutText).toEqual(['4']);
    expect(unsupervisedClipRows(products, () => true, '{supplier}').rows.map((r) => r.image)).toEqual(['1', '3']);
  });
});

describe('supervisedClipRows', () => {
  const judgments: Judgments = new Map(
    Array.from({ length: 10 }, (_, q) => [
      `query ${q}`,
      new Map([
        [`a${q}`, 3],
        [`b${q}`, 2],
        [`c${q}`, 1],
        [`noimg${q}`, 2],
      ]),
    ]),
  );
  const has = (id: string) => !id.startsWith('noimg');

  it('pairs each query with the images of products rated at least minRating, split by query', () => {
    const out = supervisedClipRows(judgments, has, { validationFraction: 0.3, seed: 7 });
    expect(out.validationQueries.length).toBe(3);
    expect(out.trainQueries.length).toBe(7);
    expect(new Set([...out.trainQueries, ...out.validationQueries]).size).toBe(10);
    const trainTexts = new Set(out.train.map((r) => r.text));
    expect(out.validation.some((r) => trainTexts.has(r.text))).toBe(false); // no query on both sides
    expect(out.train.length + out.validation.length).toBe(20); // a and b of each query; c is rated 1
    expect(out.train.filter((r) => r.text === out.trainQueries[0])).toEqual([
      { text: out.trainQueries[0], image: `a${out.trainQueries[0]!.slice(6)}` },
      { text: out.trainQueries[0], image: `b${out.trainQueries[0]!.slice(6)}` },
    ]);
    expect(out.withoutImage.length).toBe(10);
    expect(out.withoutImage[0]).toBe('query 0 / noimg0');
    // the split is the seed's, not the file order's
    expect(supervisedClipRows(new Map([...judgments].reverse()), has, { validationFraction: 0.3, seed: 7 }).validationQueries.sort()).toEqual(
      [...out.validationQueries].sort(),
    );
  });

  it('minRating 3 keeps only the top-rated images; queries without one are reported', () => {
    const j: Judgments = new Map([
      [
        'q1',
        new Map([
          ['a', 3],
          ['b', 2],
        ]),
      ],
      [
        'q2',
        new Map([
          ['noimg', 3],
          ['c', 2],
        ]),
      ],
    ]);
    const out = supervisedClipRows(j, has, { minRating: 3, validationFraction: 0 });
    expect(out.train).toEqual([{ text: 'q1', image: 'a' }]);
    expect(out.queriesWithoutRows).toEqual(['q2']);
    expect(() => supervisedClipRows(j, () => false)).toThrow(/no judged query has a product rated 2 or higher with an image/);
  });
});
