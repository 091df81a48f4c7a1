import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { corpusTexts, loadCorpus, loadCorpusFiles, type LoadedCorpus } from '../../../src/training/data/corpus.ts';
import { compileTemplate, renderTemplate } from '../../../src/training/data/textTemplate.ts';
import { locateJsonError } from '../../../src/training/data/jsonErrorLocation.ts';

const chorus = '../shared/data/chorus';
const bytes = (s: string) => new TextEncoder().encode(s);

describe('loadCorpus on the Chorus data', () => {
  let first: LoadedCorpus;
  const zip1 = readFileSync(`${chorus}/1.json.zip`);
  beforeAll(() => {
    first = loadCorpus('1.json.zip', zip1);
  });

  it('reads every product of 1.json.zip with its fields', () => {
    expect(first.products.length).toBe(5000);
    expect(first.duplicateIds).toEqual([]);
    expect(first.warnings).toEqual([]);
    const p = first.products[0]!;
    expect(p.id).toBe('3920564');
    expect(p.fields.title).toBe('Xerox 006R90321 toner cartridge Original Black 6 pc(s)');
    expect(p.fields.supplier).toBe('Xerox');
    expect(String(p.fields.img_500x500)).toMatch(/^http:\/\/images\.icecat\.biz\/.*\.jpg$/);
    expect(new Set(first.products.map((q) => q.id)).size).toBe(5000);
  });

  it('renders title + supplier for every product and reports products a template leaves empty', () => {
    const t = corpusTexts(first.products, '{title} {supplier}');
    expect(t.ids.length).toBe(5000);
    expect(t.texts[0]).toBe('Xerox 006R90321 toner cartridge Original Black 6 pc(s) Xerox');
    expect(t.emptyIds).toEqual([]);

    const typed = corpusTexts(first.products, '{attr_t_product_type}');
    const withType = first.products.filter((p) => typeof p.fields.attr_t_product_type === 'string' && p.fields.attr_t_product_type.trim());
    expect(withType.length).toBeGreaterThan(0);
    expect(typed.ids).toEqual(withType.map((p) => p.id));
    expect(typed.emptyIds.length).toBe(5000 - withType.length);
    expect(typed.warnings[0]).toMatch(new RegExp(`^${5000 - withType.length} of 5000 products have no text`));
  });

  it('merges files in order and keeps the first of duplicate ids', () => {
    const changed = JSON.stringify([
      { id: '3920564', title: 'second copy' },
      { id: 'new', title: 'x' },
    ]);
    const dup = loadCorpusFiles([
      { name: '1.json.zip', bytes: zip1 },
      { name: 'extra.json', bytes: bytes(changed) },
    ]);
    expect(dup.products.length).toBe(5001);
    expect(dup.products[0]!.fields.title).toBe(first.products[0]!.fields.title);
    expect(dup.products[5000]!.id).toBe('new');
    expect(dup.duplicateIds).toEqual(['3920564']);
    expect(dup.warnings[0]).toMatch(/1 product id\(s\) occur more than once; the first occurrence is kept: 3920564/);
  });
});

describe('loadCorpus formats and errors', () => {
  it('reads jsonl with blank lines and CRLF, integer ids become strings', () => {
    const c = loadCorpus('p.jsonl', bytes('{"id": 7, "title": "a"}\r\n\r\n{"id": "8", "title": "b"}\r\n'));
    expect(c.products.map((p) => p.id)).toEqual(['7', '8']);
    expect(c.products[1]!.fields.title).toBe('b');
  });

  it('names the jsonl line of malformed JSON and of a missing id', () => {
    expect(() => loadCorpus('p.jsonl', bytes('{"id":"1"}\n\n{"id":"2",}\n'))).toThrow(
      /^p\.jsonl: line 3: malformed JSON at column 11: expected a quoted property name/,
    );
    expect(() => loadCorpus('p.jsonl', bytes('{"id":"1"}\n{"title":"no id"}\n'))).toThrow('p.jsonl: line 2: missing field "id"');
    expect(() => loadCorpus('p.jsonl', bytes('{"id":"1"}\n[1,2]\n'))).toThrow('p.jsonl: line 2: expected a product object, found an array');
  });

  it('names the record index and line of a bad product in a JSON array', () => {
    expect(() => loadCorpus('a.json', bytes('[{"id":"1"},{"id":null}]'))).toThrow('a.json: record 1: missing field "id"');
    expect(() => loadCorpus('a.json', bytes('[{"id":"1"},{"id":1.5}]'))).toThrow(
      'a.json: record 1: field "id" must be a string or an integer, found 1.5',
    );
    expect(() => loadCorpus('a.json', bytes('[{"id":" "}]'))).toThrow('a.json: record 0: field "id" is empty');
    expect(() => loadCorpus('a.json', bytes('[\n {"id": "1"},\n {"id": "2", "x": [1,}\n]'))).toThrow(
      /^a\.json: malformed JSON at line 3, column 22 \(record 1\): expected a value, found "}"/,
    );
    expect(() => loadCorpus('a.json', bytes('{"products": []}'))).toThrow(
      'a.json: expected a JSON array of products, found object with keys products',
    );
  });

  it('reads zips holding json or jsonl, skipping folders and __MACOSX', () => {
    const zip = zipSync({
      'data/b.jsonl': strToU8('{"id":"b1"}\n{"id":"b2"}\n'),
      'data/a.json': strToU8('[{"id":"a1"}]'),
      '__MACOSX/data/._a.json': strToU8('junk'),
      'README.txt': strToU8('hello'),
    });
    expect(loadCorpus('x.zip', zip).products.map((p) => p.id)).toEqual(['a1', 'b1', 'b2']);
    expect(() => loadCorpus('x.zip', zipSync({ 'data/b.jsonl': strToU8('{"id":"b1"}\n{"id"}\n') }))).toThrow(
      /^x\.zip:data\/b\.jsonl: line 2: malformed JSON/,
    );
    expect(() => loadCorpus('y.zip', zipSync({ 'notes.txt': strToU8('x') }))).toThrow(
      'y.zip: the archive holds no .json or .jsonl file (found: notes.txt)',
    );
    expect(() => loadCorpus('z.zip', bytes('not a zip'))).toThrow(/^z\.zip: not a readable zip archive/);
  });

  it('sniffs the format when the extension says nothing', () => {
    expect(loadCorpus('upload', bytes(' [{"id":"1"}]')).products.length).toBe(1);
    expect(loadCorpus('upload', bytes('{"id":"1"}\n{"id":"2"}')).products.length).toBe(2);
    expect(loadCorpus('upload', zipSync({ 'p.json': strToU8('[{"id":"1"}]') })).products.length).toBe(1);
  });
});

describe('locateJsonError', () => {
  it('accepts valid JSON and pinpoints the first error', () => {
    expect(locateJsonError('[{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}]')).toBeUndefined();
    expect(locateJsonError('{"a": tru}')).toMatchObject({ line: 1, column: 7, reason: 'invalid literal, found "t"' });
    expect(locateJsonError('[1,\n2,\n"abc')).toMatchObject({ line: 3, recordIndex: 2, reason: 'unexpected end of input' });
    expect(locateJsonError('[1] x')).toMatchObject({ column: 5, recordIndex: undefined });
    expect(locateJsonError('["a\\q"]')?.reason).toMatch(/invalid escape/);
  });
});

describe('renderTemplate', () => {
  it('renders missing and null fields empty and collapses whitespace', () => {
    expect(renderTemplate('{title} {supplier}', { title: '  Big   Mouse ', supplier: null })).toBe('Big Mouse');
    expect(renderTemplate('{title} - {colour}', { title: 'Mouse' })).toBe('Mouse -');
    expect(renderTemplate('{a}\n\t{b}', { a: 'x', b: 'y' })).toBe('x y');
    expect(renderTemplate('{missing}', {})).toBe('');
  });

  it('joins arrays with spaces and prints numbers and booleans', () => {
    expect(renderTemplate('{ean}', { ean: ['0095205603217', '123'] })).toBe('0095205603217 123');
    expect(renderTemplate('{a}', { a: [['x', null], [], 'y'] })).toBe('x y');
    expect(renderTemplate('{w} kg, {b}', { w: 1.5, b: false })).toBe('1.5 kg, false');
    expect(renderTemplate('{o}', { o: { x: 'p', y: ['q'] } })).toBe('p q');
  });

  it('supports literal braces and reports the placeholders', () => {
    expect(renderTemplate('{{{title}}}', { title: 'x' })).toBe('{x}');
    expect(compileTemplate('{title} {attr_t_operating_temperature__t_t_} {title} {img_500x500}').fields).toEqual([
      'title',
      'attr_t_operating_temperature__t_t_',
      'img_500x500',
    ]);
    // inherited properties are not fields
    expect(renderTemplate('{constructor}{toString}', {})).toBe('');
  });

  it('names unsupported placeholder syntax', () => {
    expect(() => renderTemplate('{title|upper}', {})).toThrow('unsupported placeholder "{title|upper}" at column 1');
    expect(() => renderTemplate('a {}', {})).toThrow('empty placeholder "{}" at column 3');
    expect(() => renderTemplate('{title', {})).toThrow('"{" at column 1 is never closed');
    expect(() => renderTemplate('title}', {})).toThrow('unmatched "}" at column 6');
    expect(() => renderTemplate('{a {b}}', {})).toThrow(/unsupported placeholder "\{a \{b\}"/);
  });
});
