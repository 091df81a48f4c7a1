import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { clipBaseVocab, learnClipMerges } from '../../../src/training/init/clipBpe.ts';
import { clipTokenizerFiles } from '../../../src/training/init/clipTokenizerFiles.ts';
import { clipEosPositions } from '../../../src/training/models/clip/clipTextInputs.ts';
import { loadTokenizer } from '../../../src/training/models/tokenizer.ts';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { makeTinyClip } from '../../helpers/clipFixture.ts';
import { memorySource } from '../../helpers/fixtures.ts';
import { runClipReferences } from '../../helpers/clipReference.ts';

describe('CLIP BPE merges', () => {
  it('are learned as standard BPE: most frequent pair first, pairs seen once are not merged', () => {
    // words: low x3 -> l o w</w>; lower -> l o w e r</w>. (l,o) occurs 4 times, then (lo,w</w>) 3 times, the rest once.
    expect(learnClipMerges(['low low  LOW lower'], 10)).toEqual([
      ['l', 'o'],
      ['lo', 'w</w>'],
    ]);
    // 512 byte tokens: 94 + 12 + 82 printable bytes map to themselves, then the other 68 bytes, then the same with </w>
    const base = clipBaseVocab();
    expect(base.length).toBe(512);
    expect([base[0], base[93], base[94], base[188], base[256]]).toEqual(['!', '~', '¡', 'Ā', '!</w>']);
  });
});

describe('CLIP tokenizer.json through loadTokenizer', () => {
  // merges 512 'lo', 513 'low</w>', 514 'low'; <|startoftext|> 515, <|endoftext|> 516.
  const files = clipTokenizerFiles(
    [
      ['l', 'o'],
      ['lo', 'w</w>'],
      ['lo', 'w'],
    ],
    { modelMaxLength: 8 },
  );

  it('gives hand-derived ids: BPE with </w>, lowercase, whitespace runs, single digits, UTF-8 bytes, padding with EOS', async () => {
    const tok = await loadTokenizer(memorySource(files, 'hand'));
    expect(tok.modelMaxLength).toBe(8);
    // byte ids: '!' 0, '2' 17, '4' 19, 'e' 68; '!</w>' 256, '2</w>' 273, '4</w>' 275, 'r</w>' 337;
    // 'é' = bytes c3 a9 -> 'Ã' (94 + 12 + 0xc3 - 0xae = 127) and '©</w>' (256 + 94 + 0xa9 - 0xa1 = 358)
    const b = tok.encode(['low lower', 'LOW!!\t 42', 'é'], 8);
    expect(b.seqLen).toBe(7);
    expect(Array.from(b.inputIds)).toEqual([515, 513, 514, 68, 337, 516, 516, 515, 513, 0, 256, 275, 273, 516, 515, 127, 358, 516, 516, 516, 516]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    // truncation keeps <|startoftext|> and <|endoftext|>, as CLIPTokenizerFast(truncation=True, max_length=4)
    const t = tok.encode(['low lower low'], 4);
    expect(Array.from(t.inputIds)).toEqual([515, 513, 514, 516]);
  });

  it('writes vocab.json in id order with integer-like tokens in place, and merges.txt with its header', () => {
    const vocab = JSON.parse(files['vocab.json']!) as Record<string, number>;
    expect(Object.keys(vocab).length).toBe(517);
    expect(vocab['0']).toBe(15);
    expect(files['vocab.json']!.indexOf('"0": 15')).toBeGreaterThan(files['vocab.json']!.indexOf('"/": 14'));
    expect(files['merges.txt']).toBe('#version: 0.2\nl o\nlo w</w>\nlo w\n');
    const config = JSON.parse(files['tokenizer_config.json']!);
    expect([config.pad_token, config.bos_token, config.eos_token, config.tokenizer_class]).toEqual([
      '<|endoftext|>',
      '<|startoftext|>',
      '<|endoftext|>',
      'CLIPTokenizer',
    ]);
  });
});

describe('tiny CLIP tokenizer vs openai simple_tokenizer (python reference)', () => {
  it('produces the same ids for accents, punctuation runs, contractions, digits, whitespace and truncation', async () => {
    const dir = await makeTinyClip();
    const tok = await loadTokenizer(folderSource(dir));
    const texts = [
      'Red running shoes for men, size 42',
      "Women's trail running shoe - waterproof",
      'Café espresso machine with milk frother',
      'Crème brûlée ramekins set of 6',
      'USB-C   charging\tcable 2m braided!!!',
      "it'll be 65W... we're sure",
      'ÜBER größe 日本 ✓',
      'wireless bluetooth headphones with noise cancelling and a very long tail of words that must be truncated at 24 tokens',
    ];
    const max = 24;
    const [ref] = runClipReferences<{ ids: number[][] }>([{ model_dir: dir, mode: 'tokenize', texts, max_length: max }]);
    const b = tok.encode(texts, max);
    const eos = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')).text_config.eos_token_id as number;
    texts.forEach((_, i) => {
      const row = Array.from(b.inputIds.subarray(i * b.seqLen, (i + 1) * b.seqLen));
      const n = ref!.ids[i]!.length;
      expect(row.slice(0, n)).toEqual(ref!.ids[i]);
      expect(row.slice(n).every((id) => id === eos)).toBe(true);
      expect(Array.from(b.attentionMask.subarray(i * b.seqLen, (i + 1) * b.seqLen))).toEqual(row.map((_, j) => (j < n ? 1 : 0)));
    });
    expect(b.seqLen).toBe(max);
    // merges are in use (fewer tokens than bytes) and the last row really was cut
    expect(ref!.ids[0]!.length).toBeLessThan(texts[0]!.length / 2);
    expect(ref!.ids.at(-1)!.length).toBe(max);
  });
});

describe('clipEosPositions', () => {
  it('pools at the first eos_token_id, or at the first max id for legacy configs with eos_token_id 2', () => {
    const ids = Int32Array.from([5, 9, 7, 9, 0, 5, 2, 9, 2, 2]);
    expect(clipEosPositions(ids, 2, 5, { eos_token_id: 9 })).toEqual([1, 2]);
    expect(clipEosPositions(ids, 2, 5, { eos_token_id: 2 })).toEqual([1, 2]);
    expect(clipEosPositions(Int32Array.from([3, 8, 2, 8]), 1, 4, { eos_token_id: 2 })).toEqual([1]);
    expect(clipEosPositions(Int32Array.from([3, 8, 2, 8]), 1, 4, { eos_token_id: 8 })).toEqual([1]);
    expect(clipEosPositions(Int32Array.from([3, 4, 5, 2]), 1, 4, { eos_token_id: 5 })).toEqual([2]);
    expect(clipEosPositions(Int32Array.from([3, 4, 5, 2]), 1, 4, { eos_token_id: 2 })).toEqual([2]);
    expect(() => clipEosPositions(Int32Array.from([3, 4]), 1, 2, { eos_token_id: 7 })).toThrow(/row 0 has no end-of-text token \(id 7\)/);
  });
});
