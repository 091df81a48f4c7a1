import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCorpus, type Product } from '../../../src/training/data/corpus.ts';
import { renderTemplate } from '../../../src/training/data/textTemplate.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { textVectorField, writeSolrDocuments } from '../../../src/training/chorus/solrDocuments.ts';
import { float32JsonArray, formatFloat32 } from '../../../src/training/chorus/float32Text.ts';
import { loadOnnxTextEmbedder } from '../../../src/cli/serve/onnxTextEmbedder.ts';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { makeTinyModel } from '../../helpers/fixtures.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { maxAbsDiff } from '../../helpers/onnx.ts';

const template = '{title} {supplier}';
// 40 real Chorus products (sparse attr_* fields, nulls, numbers), plus edge cases
const chorusSample: Product[] = loadCorpus('1.json.zip', readFileSync('../shared/data/chorus/1.json.zip')).products.slice(0, 40);
const products: Product[] = [
  ...chorusSample.slice(0, 20),
  { id: 'no-text', fields: { id: 'no-text', title: null, supplier: '', price: 3 } },
  { id: 'stale', fields: { id: 'stale', title: 'Old vector cable', supplier: 'Acme', finetuned_product_vector: [1, 2, 3], ean: ['1', '2'] } },
  ...chorusSample.slice(20),
];

describe('float32 text', () => {
  it('prints the shortest decimal that reads back as the same float32, in numpy str() form', () => {
    expect([0.1, 1e-5, 1.5e-7, 3, -2.5e20, 123456.789, 0, -0].map(formatFloat32)).toEqual([
      '0.1',
      '1e-05',
      '1.5e-07',
      '3.0',
      '-2.5e+20',
      '123456.79',
      '0.0',
      '-0.0',
    ]);
    const rng = new Rng(5);
    const values = Float32Array.from({ length: 2000 }, (_, i) => rng.normal() * 10 ** ((i % 12) - 8));
    const back = JSON.parse(float32JsonArray(values)) as number[];
    back.forEach((v, i) => expect(Math.fround(v)).toBe(values[i]));
    // never longer than the float64 expansion JSON.stringify writes
    expect(float32JsonArray(values).length).toBeLessThan(JSON.stringify(Array.from(values)).length * 0.7);
    expect(() => float32JsonArray([1, NaN])).toThrow(/NaN/);
  });
});

describe('writeSolrDocuments', () => {
  let encoder: SentenceEncoder;
  let dir: string;
  beforeAll(async () => {
    dir = await makeTinyModel();
    encoder = await loadSentenceEncoder(folderSource(dir));
  });
  afterAll(() => encoder.dispose());

  it('streams every product with all its fields plus the vector, equal to SentenceEncoder.encode', async () => {
    const chunks: string[] = [];
    const embedCalls: number[] = [];
    const field = textVectorField('finetuned_product_vector', template, (texts) => {
      embedCalls.push(texts.length);
      return encoder.encode(texts, { batchSize: 8 });
    });
    const report = await writeSolrDocuments(
      products,
      [field],
      (c) => {
        chunks.push(c);
      },
      { chunkSize: 10 },
    );
    const docs = JSON.parse(chunks.join('')) as Record<string, unknown>[];
    expect(Array.isArray(docs)).toBe(true);
    expect(docs.map((d) => d.id)).toEqual(products.map((p) => p.fields.id));
    expect(report.written).toBe(products.length);
    expect(report.dimensions).toEqual({ finetuned_product_vector: 32 });
    expect(report.missing.finetuned_product_vector).toEqual(['no-text']);
    expect(report.warnings.join('\n')).toMatch(/1 of 42 products have nothing to embed.*written without the vector: no-text/);
    expect(report.warnings.join('\n')).toMatch(/already had field\(s\) finetuned_product_vector/);
    // chunked: product by product in chunks of 10, never the whole array at once
    expect(embedCalls).toEqual([10, 10, 9, 10, 2]);
    expect(chunks.length).toBe(7);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(chunks.join('').length / 3);

    const withText = products.filter((p) => p.id !== 'no-text');
    const expected = await encoder.encode(withText.map((p) => renderTemplate(template, p.fields)));
    docs.forEach((d, i) => {
      const p = products[i]!;
      for (const [k, v] of Object.entries(p.fields)) if (k !== 'finetuned_product_vector') expect(d[k]).toEqual(v);
      if (p.id === 'no-text') {
        expect(d).not.toHaveProperty('finetuned_product_vector');
        expect(Object.keys(d)).toEqual(Object.keys(p.fields));
        return;
      }
      const v = d.finetuned_product_vector as number[];
      const want = expected[withText.indexOf(p)]!;
      expect(v.length).toBe(32);
      // the encoder's values; batches here differ from the reference call's (other padding), hence float32 noise
      expect(maxAbsDiff(v, want)).toBeLessThan(1e-6);
    });
  });

  it('drops products without text when asked, and checks its inputs', async () => {
    const chunks: string[] = [];
    const field = textVectorField('v', '{title}', (texts) => encoder.encode(texts));
    const report = await writeSolrDocuments(
      products.slice(19, 23),
      [field],
      (c) => {
        chunks.push(c);
      },
      { missing: 'drop' },
    );
    const docs = JSON.parse(chunks.join('')) as { id: string }[];
    expect(docs.map((d) => d.id)).toEqual(
      products
        .slice(19, 23)
        .filter((p) => p.id !== 'no-text')
        .map((p) => p.fields.id),
    );
    expect(report.warnings[0]).toMatch(/left out of the file/);
    await expect(writeSolrDocuments(products, [], () => {})).rejects.toThrow(/no vector fields/);
    const bad = textVectorField('v', '{title}', async (texts) => texts.map(() => new Float32Array(3)).slice(1));
    await expect(writeSolrDocuments(products.slice(0, 3), [bad], () => {})).rejects.toThrow(/returned 2 vectors for 3 inputs/);
  });

  it('the onnxruntime path (onnx/model.onnx built in memory) matches the tfjs encoder within 1e-5', async () => {
    const onnx = await loadOnnxTextEmbedder(folderSource(dir));
    try {
      const texts = products
        .slice(0, 12)
        .map((p) => renderTemplate(template, p.fields))
        .filter(Boolean);
      const a = await onnx.embed(texts);
      const b = await encoder.encode(texts);
      expect(onnx.onnx).toBe('built');
      expect(onnx.dimension).toBe(32);
      a.forEach((row, i) => expect(maxAbsDiff(row, b[i]!)).toBeLessThan(1e-5));
    } finally {
      await onnx.release();
    }
  });

  it('ftlab vectors writes the same documents through the CLI', async () => {
    const tmp = tempDir('ftlab-vectors-');
    const corpus = path.join(tmp, 'corpus.jsonl');
    writeFileSync(corpus, products.map((p) => JSON.stringify(p.fields)).join('\n') + '\n');
    const out = path.join(tmp, 'products.json');
    const r = await runCli(['vectors', '--model', dir, '--corpus', corpus, '--output', out, '--batch-size', '16']);
    expect(r.stderr).toMatch(/wrote 42 documents \(finetuned_product_vector: 32 dimensions/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ output: out, documents: 42, field: 'finetuned_product_vector', dimension: 32, missing: 1 });
    expect(r.stderr).toMatch(/nothing to embed.*no-text/);
    const docs = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>[];
    expect(docs.map((d) => d.id)).toEqual(products.map((p) => p.fields.id));
    const withText = products.filter((p) => p.id !== 'no-text');
    const expected = await encoder.encode(withText.map((p) => renderTemplate(template, p.fields)));
    withText.forEach((p, k) => expect(maxAbsDiff(docs[products.indexOf(p)]!.finetuned_product_vector as number[], expected[k]!)).toBeLessThan(1e-6));
    // the vectors differ from product to product (a broken export writing one vector everywhere fails above)
    expect(maxAbsDiff(expected[0]!, expected[1]!)).toBeGreaterThan(1e-3);
  });
});
