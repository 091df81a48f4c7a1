import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dedupeQueries, formatQueriesJsonl, normalizeQuery, parseQueries, QueryError } from '../../../src/training/data/queries.ts';
import { generateDoc2Query, type GenerationSettings, type Text2TextGenerator } from '../../../src/training/data/doc2query.ts';
import { loadCorpus } from '../../../src/training/data/corpus.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';

describe('query import', () => {
  it('normalises and de-duplicates case-insensitively, keeping the first spelling and counting the rest', () => {
    expect(normalizeQuery('  usb \t  stick\n')).toBe('usb stick');
    const r = parseQueries('log.txt', 'Laptop\n\n  laptop \nUSB  stick\nusb stick\n   \nHDMI cable\n');
    expect(r.queries).toEqual([{ text: 'Laptop' }, { text: 'USB stick' }, { text: 'HDMI cable' }]);
    expect(r.warnings).toEqual([
      'log.txt: 2 empty line(s) skipped',
      'log.txt: 2 duplicate queries removed (case-insensitive), e.g. "laptop", "usb stick"',
    ]);
    // generated queries are per product: the same text for two products is two pairs
    const d = dedupeQueries([
      { text: 'toner', sourceDocId: '1' },
      { text: 'Toner', sourceDocId: '2' },
      { text: 'TONER', sourceDocId: '1' },
    ]);
    expect(d.queries).toEqual([
      { text: 'toner', sourceDocId: '1' },
      { text: 'Toner', sourceDocId: '2' },
    ]);
    expect(d.duplicates).toBe(1);
  });

  it('reads generated-queries.jsonl with source product ids under their usual names', () => {
    const text = [
      '{"text": "xerox  toner", "doc_id": "3920564"}',
      '{"text": "laptop", "product_id": 2101957}',
      '',
      '{"query": "sd card"}',
      '{"text":"Laptop","docid":"2101957"}',
    ].join('\n');
    const r = parseQueries('generated-queries.jsonl', text);
    expect(r.queries).toEqual([{ text: 'xerox toner', sourceDocId: '3920564' }, { text: 'laptop', sourceDocId: '2101957' }, { text: 'sd card' }]);
    expect(r.warnings).toHaveLength(2);
    // what `ftlab queries` writes reads back unchanged
    expect(parseQueries('q.jsonl', formatQueriesJsonl(r.queries)).queries).toEqual(r.queries);
  });

  it('reads query-log CSV with or without a header, summing counts of duplicates', () => {
    const withHeader = parseQueries('log.csv', 'count,query\n12,laptop\n3,"usb, stick"\n5,Laptop\n');
    expect(withHeader.queries).toEqual([
      { text: 'laptop', count: 17 },
      { text: 'usb, stick', count: 3 },
    ]);
    const bare = parseQueries('log.csv', 'laptop,4\nhdmi cable\n');
    expect(bare.queries).toEqual([{ text: 'laptop', count: 4 }, { text: 'hdmi cable' }]);
  });

  it('names file, line and field in errors', () => {
    expect(() => parseQueries('q.jsonl', '{"text": "a"}\n{"text": 3}\n')).toThrow('q.jsonl: line 2: field "text" must be a string, found 3');
    expect(() => parseQueries('q.jsonl', '{"text": "a"}\n{"txt": "b"}\n')).toThrow('q.jsonl: line 2: missing field "text"');
    expect(() => parseQueries('q.jsonl', '{"text": "a"}\n{oops\n')).toThrow(/^q\.jsonl: line 2: malformed JSON/);
    expect(() => parseQueries('q.jsonl', '{"text": "a", "doc_id": [1]}')).toThrow('q.jsonl: line 1: field "doc_id" must be a product id');
    expect(() => parseQueries('log.csv', 'query,count\nlaptop,7\nmouse,many\n')).toThrow(
      'log.csv: line 3: field "count" must be a non-negative number, found "many"',
    );
    expect(() => parseQueries('empty.txt', '\n \n')).toThrow(QueryError);
  });
});

describe('CSV corpus', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('reads products from a header row, leaving empty cells out', () => {
    const c = loadCorpus('p.csv', bytes('id,title,supplier\n1,"Sony speaker, Bluetooth",Sony\n2,HDMI cable,\n'));
    expect(c.products).toEqual([
      { id: '1', fields: { id: '1', title: 'Sony speaker, Bluetooth', supplier: 'Sony' } },
      { id: '2', fields: { id: '2', title: 'HDMI cable' } },
    ]);
  });
  it('names line and field when the id column or an id is missing', () => {
    expect(() => loadCorpus('p.csv', bytes('sku,title\n1,a\n'))).toThrow('p.csv: line 1: the header needs an "id" column (found: "sku", "title")');
    expect(() => loadCorpus('p.csv', bytes('id,title\n1,a\n,b\n'))).toThrow('p.csv: line 3: field "id" is empty');
    expect(() => loadCorpus('p.csv', bytes('id,title\n1,a\n2\n'))).toThrow(/^p\.csv: line 3: Too few fields/);
  });
});

describe('doc2query generation (fake text2text pipeline)', () => {
  const docs = [
    { id: 'a', text: 'Sony Bluetooth speaker' },
    { id: 'b', text: 'HP laptop' },
  ];
  const fake = (calls: { input: string; settings: GenerationSettings }[]) => async (modelId: string) => {
    expect(modelId).toBe('my/t5');
    const gen = (async (input: string, settings: GenerationSettings) => {
      calls.push({ input, settings });
      const words = input.toLowerCase().split(' ');
      // the last sequence repeats the first: duplicates within a product are dropped
      return Array.from({ length: settings.num_return_sequences }, (_, i) => ({
        generated_text: ` ${words[i % words.length]}  ${words.at(-1)} `,
      })).concat({ generated_text: `${words[0]} ${words.at(-1)}` });
    }) as Text2TextGenerator;
    gen.dispose = () => void calls.push({ input: 'disposed', settings: calls[0]!.settings });
    return gen;
  };

  it("passes the sampling settings through and keeps each query's source product", async () => {
    const calls: { input: string; settings: GenerationSettings }[] = [];
    const progress: number[] = [];
    const qs = await generateDoc2Query(docs, {
      modelId: 'my/t5',
      perProduct: 2,
      topK: 7,
      topP: 0.8,
      temperature: 0.7,
      maxNewTokens: 16,
      createGenerator: fake(calls),
      onProgress: (d) => progress.push(d),
    });
    expect(calls[0]).toEqual({
      input: 'Sony Bluetooth speaker',
      settings: { do_sample: true, top_k: 7, top_p: 0.8, temperature: 0.7, max_new_tokens: 16, num_return_sequences: 2 },
    });
    expect(calls.at(-1)!.input).toBe('disposed');
    expect(qs).toEqual([
      { text: 'sony speaker', sourceDocId: 'a' },
      { text: 'bluetooth speaker', sourceDocId: 'a' },
      { text: 'hp laptop', sourceDocId: 'b' },
      { text: 'laptop laptop', sourceDocId: 'b' },
    ]);
    expect(progress).toEqual([1, 2]);
  });

  it('stops when aborted and explains how to work offline when the model cannot be fetched', async () => {
    const ac = new AbortController();
    const calls: { input: string; settings: GenerationSettings }[] = [];
    const run = generateDoc2Query(docs, { modelId: 'my/t5', createGenerator: fake(calls), signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toThrow(/aborted/);
    expect(calls.filter((c) => c.input !== 'disposed')).toHaveLength(1);
    expect(calls.at(-1)!.input).toBe('disposed');
    const offline = generateDoc2Query(docs, {
      createGenerator: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(offline).rejects.toThrow('could not load the doc2query model "doc2query/msmarco-t5-base-v1" (fetch failed)');
    await expect(offline).rejects.toThrow('--source offline');
  });
});

describe('ftlab queries', () => {
  it('generates offline queries from a CSV corpus and imports a query log', async () => {
    const dir = tempDir();
    const corpus = path.join(dir, 'products.csv');
    const rows = [
      'id,title,supplier',
      ...['Sony', 'JBL', 'Philips'].map((b, i) => `${i + 1},${b} X${i}00 Bluetooth portable speaker Black,${b}`),
      '9,Canon XY-12,Canon',
    ];
    writeFileSync(corpus, rows.join('\n') + '\n');
    const out = path.join(dir, 'q.jsonl');
    const r = await runCli(['queries', '--source', 'offline', '--corpus', corpus, '--per-product', '2', '--seed', '3', '--output', out]);
    expect(r.stderr).toContain('1 of 4 products have no usable type or title words and got no query: 9');
    expect(r.code).toBe(0);
    const qs = parseQueries(out, readFileSync(out, 'utf8')).queries;
    expect(qs.map((q) => q.sourceDocId)).toEqual(['1', '1', '2', '2', '3', '3']);
    expect(qs.every((q) => /speakers?|sony|jbl|philips/.test(q.text))).toBe(true);
    expect(r.stderr).toContain(`queries: 6 (6 with a source product) -> ${out}`);
  }, 30_000);
});
