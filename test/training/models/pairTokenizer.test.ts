import { describe, expect, it } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { loadTokenizer, longestFirst, pairEncoder, type EncodedBatch } from '../../../src/training/models/tokenizer.ts';
import { tokenizerFiles } from '../../../src/training/init/tokenizerFiles.ts';
import { memorySource } from '../../helpers/fixtures.ts';

// ids:          0        1        2        3        4       5      6      7       8     9      10        11      12   13   14   15    16
const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'red', 'shoe', '##s', 'run', '##ning', 'cafe', '!', ',', '-', 'usb', 'c'];

const rows = (e: EncodedBatch, arr: Int32Array = e.inputIds) =>
  Array.from({ length: e.batchSize }, (_, i) => [...arr.subarray(i * e.seqLen, (i + 1) * e.seqLen)]);

const tokenizer = () => loadTokenizer(memorySource(tokenizerFiles(vocab)));

describe('encodePairs', () => {
  it('builds [CLS] a [SEP] b [SEP] with token types 0 up to the first [SEP] and 1 after', async () => {
    const tok = await tokenizer();
    const e = tok.encodePairs(['The red shoes'], ['running!'], 32);
    expect(rows(e)).toEqual([[2, 5, 6, 7, 8, 3, 9, 10, 12, 3]]);
    expect(rows(e, e.tokenTypeIds)).toEqual([[0, 0, 0, 0, 0, 0, 1, 1, 1, 1]]);
    expect([...e.attentionMask].every((m) => m === 1)).toBe(true);
  });

  it('truncates longest_first as the Rust tokenizers do, before adding the special tokens', async () => {
    const tok = await tokenizer();
    // a: the red shoe ##s run (5), b: red (1); room 7 - 3 = 4 -> only the longer one is cut, to 3
    expect(rows(tok.encodePairs(['the red shoes run'], ['red'], 7))).toEqual([[2, 5, 6, 7, 3, 6, 3]]);
    // a: 5, b: run ##ning shoe ##s ! (5); room 7 -> both cut, equal lengths: a floor(7/2) = 3, b 4
    expect(rows(tok.encodePairs(['the red shoes run'], ['running shoes!'], 10))).toEqual([[2, 5, 6, 7, 3, 9, 10, 7, 8, 3]]);
    // a: the red shoe ##s run ! (6) is longer than b: run ##ning shoe ##s (4); room 5 -> the longer a keeps ceil = 3, b 2
    expect(rows(tok.encodePairs(['the red shoes run!'], ['running shoes'], 8))).toEqual([[2, 5, 6, 7, 3, 9, 10, 3]]);
    // a 4 tokens, b 6 tokens, room 5 -> a 2, b 3 (the longer gets the odd token)
    const e = tok.encodePairs(['the red shoes'], ['running shoes run!'], 8);
    expect(rows(e)).toEqual([[2, 5, 6, 3, 9, 10, 7, 3]]);
    expect(rows(e, e.tokenTypeIds)).toEqual([[0, 0, 0, 0, 1, 1, 1, 1]]);
    // room 0: only the special tokens remain
    expect(rows(tok.encodePairs(['red'], ['shoe'], 3))).toEqual([[2, 3, 3]]);
    expect(() => tok.encodePairs(['red'], ['shoe'], 2)).toThrow(/special tokens/);
  });

  it('pads a batch to its longest pair with zero mask and zero token types', async () => {
    const tok = await tokenizer();
    const e = tok.encodePairs(['red', 'usb-c'], ['shoe', 'the red shoes'], 16);
    expect(e.seqLen).toBe(10);
    expect(rows(e)).toEqual([
      [2, 6, 3, 7, 3, 0, 0, 0, 0, 0],
      [2, 15, 14, 16, 3, 5, 6, 7, 8, 3],
    ]);
    expect(rows(e, e.attentionMask)).toEqual([
      [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ]);
    expect(rows(e, e.tokenTypeIds)).toEqual([
      [0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    ]);
    expect(() => tok.encodePairs(['a', 'b'], ['c'], 16)).toThrow(/2 first texts but 1 second/);
  });

  it('works on a transformers.js tokenizer, unlike its own truncation which drops the final [SEP]', async () => {
    const files = tokenizerFiles(vocab);
    const tok = new PreTrainedTokenizer(JSON.parse(files['tokenizer.json']!), JSON.parse(files['tokenizer_config.json']!));
    const ours = pairEncoder(tok, 0)(['the red shoes run'], ['running shoes!'], 8);
    expect(rows(ours)).toEqual([[2, 5, 6, 3, 9, 10, 7, 3]]);
    const theirs = tok('the red shoes run', { text_pair: 'running shoes!', truncation: true, max_length: 8, return_tensor: false }) as unknown as {
      input_ids: number[];
    };
    expect(theirs.input_ids.at(-1)).not.toBe(3);
  });
});

describe('longestFirst', () => {
  it('keeps both when they fit, cuts the longer first, then splits the room', () => {
    expect(longestFirst(3, 4, 7)).toEqual([3, 4]);
    expect(longestFirst(2, 10, 7)).toEqual([2, 5]);
    expect(longestFirst(10, 2, 7)).toEqual([5, 2]);
    expect(longestFirst(5, 6, 7)).toEqual([3, 4]);
    expect(longestFirst(6, 5, 7)).toEqual([4, 3]);
    expect(longestFirst(20, 30, 0)).toEqual([0, 0]);
    for (let n1 = 0; n1 < 12; n1++) {
      for (let n2 = 0; n2 < 12; n2++) {
        for (let room = 0; room < 14; room++) {
          const [k1, k2] = longestFirst(n1, n2, room);
          expect(Math.min(k1, n1) + Math.min(k2, n2)).toBe(Math.min(n1 + n2, room));
        }
      }
    }
  });
});
