/**
 * The files `BertTokenizerFast.save_pretrained` writes (transformers 4.4x / tokenizers 0.19+), built from a
 * WordPiece vocabulary: tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt.
 * Also used to give old BERT repos that ship only vocab.txt a tokenizer.json.
 */
import { addedToken, addedTokensDecoder, tokenizerConfigFiles, vocabObject } from './tokenizerJson.ts';

export interface BertSpecialTokens {
  unk: string;
  cls: string;
  sep: string;
  pad: string;
  mask: string;
}

export const defaultBertSpecialTokens: BertSpecialTokens = { unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' };

export interface TokenizerFilesOptions {
  /** do_lower_case (uncased model); default true */
  lowercase?: boolean;
  /** BertNormalizer strip_accents; null (default) follows `lowercase` */
  stripAccents?: boolean | null;
  /** tokenize_chinese_chars; default true */
  handleChineseChars?: boolean;
  modelMaxLength?: number;
  specialTokens?: Partial<BertSpecialTokens>;
}

/** tokenizer.json for a WordPiece vocabulary (token strings in id order). */
export function bertTokenizerJson(vocab: string[], opts: TokenizerFilesOptions = {}): string {
  const sp = { ...defaultBertSpecialTokens, ...opts.specialTokens };
  const ids = new Map(vocab.map((t, i) => [t, i]));
  for (const [role, tok] of Object.entries(sp)) {
    if (!ids.has(tok) && role !== 'mask') throw new Error(`vocabulary has no ${role} token "${tok}"`);
  }
  const specials = [...new Set(Object.values(sp))].filter((t) => ids.has(t)).sort((a, b) => ids.get(a)! - ids.get(b)!);
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => addedToken({ id: ids.get(t)!, content: t })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: opts.handleChineseChars ?? true,
      strip_accents: opts.stripAccents ?? null,
      lowercase: opts.lowercase ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: sp.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sp.sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: sp.cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sp.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sp.sep, type_id: 1 } },
      ],
      special_tokens: Object.fromEntries([sp.cls, sp.sep].map((t) => [t, { id: t, ids: [ids.get(t)!], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: sp.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: '@VOCAB@' },
  };
  return JSON.stringify(json, null, 2).replace('"@VOCAB@"', vocabObject(vocab, '    '));
}

/** All four tokenizer files of a BertTokenizerFast. */
export function tokenizerFiles(vocab: string[], opts: TokenizerFilesOptions = {}): Record<string, string> {
  const sp = { ...defaultBertSpecialTokens, ...opts.specialTokens };
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const specials = [...new Set(Object.values(sp))].filter((t) => ids.has(t)).map((t) => ({ id: ids.get(t)!, content: t }));
  const specialMap = { cls_token: sp.cls, mask_token: sp.mask, pad_token: sp.pad, sep_token: sp.sep, unk_token: sp.unk };
  const config = {
    added_tokens_decoder: addedTokensDecoder(specials),
    clean_up_tokenization_spaces: true,
    ...specialMap,
    do_basic_tokenize: true,
    do_lower_case: opts.lowercase ?? true,
    model_max_length: opts.modelMaxLength ?? 512,
    never_split: null,
    strip_accents: opts.stripAccents ?? null,
    tokenize_chinese_chars: opts.handleChineseChars ?? true,
    tokenizer_class: 'BertTokenizer',
  };
  return {
    'tokenizer.json': bertTokenizerJson(vocab, opts),
    ...tokenizerConfigFiles(config, specialMap),
    'vocab.txt': vocab.join('\n') + '\n',
  };
}
