import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadCorpus, type Product } from '../../../src/training/data/corpus.ts';
import {
  generateOfflineQueries,
  generateOfflineQueriesReport,
  pluralize,
  type OfflineQueryReport,
} from '../../../src/training/data/offlineQueries.ts';
import { corpusTermStats, productTerms, type CorpusTermStats } from '../../../src/training/data/productTerms.ts';
import { digitWords, units } from '../../../src/training/data/offlineQueryRules.ts';

const byProduct = (r: OfflineQueryReport) => {
  const m = new Map<string, string[]>();
  for (const q of r.queries) m.set(q.sourceDocId!, [...(m.get(q.sourceDocId!) ?? []), q.text]);
  return m;
};

describe('offline query generator on real Chorus products (1.json.zip)', () => {
  let products: Product[];
  let stats: CorpusTermStats;
  let report: OfflineQueryReport;
  let queries: Map<string, string[]>;
  beforeAll(() => {
    products = loadCorpus('1.json.zip', readFileSync('../shared/data/chorus/1.json.zip')).products;
    stats = corpusTermStats(products);
    report = generateOfflineQueriesReport(products, { seed: 42 });
    queries = byProduct(report);
  });

  it('gives every product with a type or title words queries, and reports the rest', () => {
    const ids = new Set(products.map((p) => p.id));
    expect(report.queries.every((q) => ids.has(q.sourceDocId!))).toBe(true);
    for (const p of products) {
      const t = productTerms(p, stats);
      const got = queries.get(p.id) ?? [];
      if (t.type) expect(got.length, p.fields.title as string).toBeGreaterThanOrEqual(2);
      expect(report.skippedIds.includes(p.id)).toBe(got.length === 0);
    }
    expect(report.skippedIds.length).toBeLessThan(products.length * 0.02);
    // three per product for nearly all products (default perProduct), never more
    expect(Math.max(...[...queries.values()].map((q) => q.length))).toBe(3);
    expect(report.queries.length).toBeGreaterThan(products.length * 2.8);
  });

  it('writes shopper-shaped queries: lowercase, 1-5 words, no units, sizes or foreign model numbers', () => {
    for (const p of products) {
      const { code: own, brand } = productTerms(p, stats);
      const got = queries.get(p.id) ?? [];
      expect(new Set(got).size).toBe(got.length);
      for (const q of got) {
        const words = q.split(' ');
        expect(q).toBe(q.toLowerCase());
        expect(q).toBe(q.trim());
        expect(words.length).toBeGreaterThanOrEqual(1);
        expect(words.length).toBeLessThanOrEqual(5);
        for (const w of words) {
          expect(w).not.toBe('');
          if (/\d/.test(w)) expect(w === own || digitWords.has(w) || brand.split(' ').includes(w), `${q} (${p.fields.title})`).toBe(true);
          expect(['pc(s)', 'original', 'the', 'and', 'with', 'for', 'cm', 'mm', 'gb'].includes(w), q).toBe(false);
        }
        expect(words.filter((w) => units.has(w) && !/^[a-z]{3,}$/.test(w))).toEqual([]);
      }
    }
  });

  it('is deterministic for a seed, and another seed picks other templates and words', () => {
    const again = generateOfflineQueries(products, { seed: 42 });
    expect(again).toEqual(report.queries);
    const other = byProduct(generateOfflineQueriesReport(products, { seed: 7 }));
    let differ = 0;
    for (const [id, qs] of queries) if (JSON.stringify(qs) !== JSON.stringify(other.get(id))) differ++;
    expect(differ).toBeGreaterThan(queries.size * 0.5);
    expect(new Set(other.keys())).toEqual(new Set(queries.keys()));
  });

  it('reads type, brand and model from real titles', () => {
    const find = (id: string) => products.find((p) => p.id === id)!;
    const xerox = productTerms(find('3920564'), stats); // Xerox 006R90321 toner cartridge Original Black 6 pc(s)
    expect(xerox).toMatchObject({ brand: 'xerox', type: 'toner cartridge', code: '006r90321' });
    expect(xerox.modifiers).toContain('black');
    const hp = productTerms(find('2101957'), stats); // HP Pavilion dv7-1211ea Notebook Silver ... (attr_t_product_type Notebook)
    expect(hp).toMatchObject({ brand: 'hp', type: 'notebook', series: ['pavilion'] });
    const philips = productTerms(find('478578'), stats); // Philips SPA2600/00 speaker set 5.1 channels
    expect(philips).toMatchObject({ brand: 'philips', type: 'speaker set', code: 'spa2600/00' });
    // the queries use only the product's words and shopper synonyms of its type
    const allowed = (extra: string[]) => new Set([...extra, ...extra.map(pluralize)]);
    const xeroxWords = allowed(['xerox', 'toner', 'cartridge', 'black', '006r90321']);
    for (const q of queries.get('3920564')!) for (const w of q.split(' ')) expect(xeroxWords.has(w), q).toBe(true);
    const hpWords = allowed(['hp', 'notebook', 'laptop', 'pavilion', 'silver', 'hdd', 'dv7-1211ea']);
    for (const q of queries.get('2101957')!) for (const w of q.split(' ')) expect(hpWords.has(w), q).toBe(true);
    expect(queries.get('3920564')).toEqual(['black cartridges', 'toner cartridge xerox', 'black toner']);
  });

  it('uses shopper words for catalogue categories across the corpus (notebook -> laptop)', () => {
    const notebooks = products.filter((p) => productTerms(p, stats).type === 'notebook').map((p) => p.id);
    expect(notebooks.length).toBeGreaterThan(20);
    const texts = notebooks.flatMap((id) => queries.get(id) ?? []);
    expect(texts.some((q) => /\blaptops?\b/.test(q))).toBe(true);
    expect(texts.some((q) => /\bnotebooks?\b/.test(q))).toBe(true);
    expect(texts.some((q) => /^hp (notebook|laptop)s?$/.test(q))).toBe(true);
  });
});

describe('offline query templates on a small corpus', () => {
  const mk = (id: string, title: string, supplier: string, extra: Record<string, unknown> = {}): Product => ({
    id,
    fields: { id, title, supplier, name: title.split(' ')[1], ...extra },
  });
  const corpus = [
    mk('1', 'Sony SRS-XB12 Bluetooth portable speaker Black', 'Sony'),
    mk('2', 'JBL GO3 Bluetooth portable speaker Blue', 'JBL'),
    mk('3', 'Varta 4106 AA Single-use battery Alkaline', 'Varta'),
    mk('4', 'Duracell MN1500 AA Single-use battery Alkaline', 'Duracell'),
    mk('6', 'Energizer E91 AAA Single-use battery Alkaline', 'Energizer'),
    mk('5', 'Canon XY-12', 'Canon'),
  ];

  it('builds brand/type/feature queries, skips products with nothing to say, and honours perProduct', () => {
    const r = generateOfflineQueriesReport(corpus, { perProduct: 8, seed: 1, pluralRate: 0 });
    const q = byProduct(r);
    expect(r.skippedIds).toEqual(['5']);
    expect(q.get('1')).toEqual(
      expect.arrayContaining(['bluetooth portable speaker', 'sony bluetooth portable speaker', 'black speaker', 'sony srs-xb12 speaker']),
    );
    expect(q.get('3')).toEqual(expect.arrayContaining(['battery', 'aa battery', 'varta battery', 'battery varta']));
    expect(q.get('6')).toContain('aaa battery');
    const one = generateOfflineQueries(corpus, { perProduct: 1, seed: 1 });
    expect(one.map((x) => x.sourceDocId)).toEqual(['1', '2', '3', '4', '6']);
  });

  it('pluralises English nouns', () => {
    expect(['battery', 'speaker', 'box', 'switch', 'headphones', 'mouse'].map(pluralize)).toEqual([
      'batteries',
      'speakers',
      'boxes',
      'switches',
      'headphones',
      'mice',
    ]);
  });
});
