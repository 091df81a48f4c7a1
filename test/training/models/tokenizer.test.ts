import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../src/training/models/tokenizer.ts';
import { tokenizerFiles } from '../../../src/training/init/tokenizerFiles.ts';
import { bertBasicTokenize, buildWordPieceVocab } from '../../../src/training/init/wordpiece.ts';
import { memorySource, tinyCorpus, tinyTrainingCorpus } from '../../helpers/fixtures.ts';

// ids:          0        1        2        3        4       5      6      7       8     9      10        11      12   13   14   15    16   17     18      19    20    21
const vocab = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'red',
  'shoe',
  '##s',
  'run',
  '##ning',
  'cafe',
  '!',
  ',',
  '-',
  'usb',
  'c',
  '红',
  '鞋',
  'Red',
  '##z',
  'é',
];

const rows = (e: { inputIds: Int32Array; seqLen: number; batchSize: number }) =>
  Array.from({ length: e.batchSize }, (_, i) => [...e.inputIds.subarray(i * e.seqLen, (i + 1) * e.seqLen)]);

describe('loadTokenizer', () => {
  it('encodes like BertTokenizerFast: lowercase, accents, punctuation, ## pieces, unknown words, CJK', async () => {
    const tok = await loadTokenizer(memorySource(tokenizerFiles(vocab, { lowercase: true })));
    const e = tok.encode(['The Red SHOES!', 'Café  running,', 'USB-C', 'zebra shoez', '红鞋'], 16);
    const lengths = rows(e).map((_, i) => e.attentionMask.subarray(i * e.seqLen, (i + 1) * e.seqLen).reduce((a, b) => a + b, 0));
    expect(rows(e).map((r, i) => r.slice(0, lengths[i]))).toEqual([
      [2, 5, 6, 7, 8, 12, 3], // the red shoe ##s !
      [2, 11, 9, 10, 13, 3], // cafe run ##ning ,
      [2, 15, 14, 16, 3], // usb - c
      [2, 1, 7, 20, 3], // zebra -> [UNK] (no "z"), shoez -> shoe ##z
      [2, 17, 18, 3], // CJK characters split apart
    ]);
    expect(e.seqLen).toBe(7);
    expect([...e.tokenTypeIds].every((t) => t === 0)).toBe(true);
  });

  it('truncates the text before adding [SEP] and pads to the longest row', async () => {
    const tok = await loadTokenizer(memorySource(tokenizerFiles(vocab)));
    const e = tok.encode(['red', 'the red shoes run'], 5);
    expect(e.seqLen).toBe(5);
    expect(rows(e)).toEqual([
      [2, 6, 3, 0, 0],
      [2, 5, 6, 7, 3],
    ]);
    expect([...e.attentionMask]).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(rows(tok.encode(['the red'], 2))).toEqual([[2, 3]]);
    expect(rows(tok.encode([''], 8))).toEqual([[2, 3]]);
    expect(() => tok.encode(['red'], 1)).toThrow(/special tokens/);
  });

  it('keeps case and accents for a cased vocabulary', async () => {
    const tok = await loadTokenizer(memorySource(tokenizerFiles(vocab, { lowercase: false })));
    expect(rows(tok.encode(['Red red RED é'], 10))).toEqual([[2, 19, 6, 1, 21, 3]]);
  });

  it('builds tokenizer.json from vocab.txt when only the slow tokenizer files exist', async () => {
    const full = tokenizerFiles(vocab);
    const source = memorySource({
      'vocab.txt': full['vocab.txt'],
      'tokenizer_config.json': JSON.stringify({ do_lower_case: false, model_max_length: 1e30 }),
    });
    const tok = await loadTokenizer(source);
    expect(rows(tok.encode(['Red red'], 10))).toEqual([[2, 19, 6, 3]]);
    expect(tok.modelMaxLength).toBeUndefined();
    expect(Object.keys(tok.files).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    expect(JSON.parse(tok.files['tokenizer.json']).normalizer.lowercase).toBe(false);
  });

  it('exposes model_max_length and the original files, and names the source when nothing is found', async () => {
    const files = tokenizerFiles(vocab, { modelMaxLength: 256 });
    const tok = await loadTokenizer(memorySource(files));
    expect(tok.modelMaxLength).toBe(256);
    expect(tok.files).toEqual(files);
    await expect(loadTokenizer(memorySource({ 'config.json': '{}' }, 'acme/empty'))).rejects.toThrow(/acme\/empty.*tokenizer\.json/);
  });

  it('writes the vocabulary in id order, integer-like tokens included', async () => {
    const v = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'x', '42', '7'];
    const json = tokenizerFiles(v)['tokenizer.json'];
    const model = JSON.parse(json).model;
    expect(Object.entries(model.vocab).map(([, id]) => id).length).toBe(v.length);
    expect(json.indexOf('"x": 5')).toBeLessThan(json.indexOf('"42": 6'));
    const tok = await loadTokenizer(memorySource(tokenizerFiles(v)));
    expect(rows(tok.encode(['x 42 7'], 10))).toEqual([[2, 5, 6, 7, 3]]);
  });
});

describe('WordPiece vocabulary', () => {
  it('basic-tokenizes like BertNormalizer + BertPreTokenizer', () => {
    expect(bertBasicTokenize("Crème Brûlée,\tUSB-C  don't\u0000 红鞋")).toEqual([
      'creme',
      'brulee',
      ',',
      'usb',
      '-',
      'c',
      'don',
      "'",
      't',
      '红',
      '鞋',
    ]);
    expect(bertBasicTokenize('Crème USB', { lowercase: false })).toEqual(['Crème', 'USB']);
  });

  it('is deterministic, BERT-compatible and covers every corpus word', async () => {
    const a = buildWordPieceVocab(tinyTrainingCorpus, 300);
    expect(buildWordPieceVocab(tinyTrainingCorpus, 300)).toEqual(a);
    expect(a.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(a.length).toBeLessThanOrEqual(300);
    expect(new Set(a).size).toBe(a.length);
    const chars = new Set(tinyTrainingCorpus.flatMap((t) => bertBasicTokenize(t).flatMap((w) => [...w])));
    expect(chars.size).toBeGreaterThan(30);
    for (const c of chars) {
      expect(a).toContain(c);
      expect(a).toContain(`##${c}`);
    }
    // frequent words become single tokens; a smaller budget is a prefix of the same merge order
    for (const w of ['running', 'headphones', 'bottle']) expect(a).toContain(w);
    const small = buildWordPieceVocab(tinyTrainingCorpus, 120);
    expect(small).toEqual(a.slice(0, 120));
    const tok = await loadTokenizer(memorySource(tokenizerFiles(a)));
    const e = tok.encode(tinyCorpus, 64);
    expect([...e.inputIds]).not.toContain(1);
  });

  it('leaves the rarest characters to [UNK] when the budget is tiny', () => {
    const v = buildWordPieceVocab(['aaa bbb c'], 9);
    expect(v).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', '##a', '##b']);
  });
});
