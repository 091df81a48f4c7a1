import { CLIP_BOS, CLIP_EOS, CLIP_SPLIT_PATTERN, END_OF_WORD, clipBaseVocab } from './clipBpe.ts';
import { addedToken, addedTokensDecoder, tokenizerConfigFiles, vocabObject, type SpecialTokenEntry } from './tokenizerJson.ts';

/**
 * The files CLIPTokenizerFast.save_pretrained writes (tokenizer.json as transformers' CLIPConverter builds it,
 * vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json) for a byte-level BPE with `merges`.
 * The vocabulary is laid out as CLIP's: 512 byte tokens, one token per merge, <|startoftext|>, <|endoftext|>.
 */

export interface ClipTokenizerFilesOptions {
  /** tokenizer_config model_max_length: the text tower's max_position_embeddings (77 for CLIP) */
  modelMaxLength: number;
}

/** Token strings in id order for `merges` (each merge's result must be new). */
export function clipVocab(merges: [string, string][]): string[] {
  const vocab = clipBaseVocab();
  const seen = new Set(vocab);
  merges.forEach(([a, b], i) => {
    if (!seen.has(a) || !seen.has(b)) throw new Error(`clip merges line ${i + 1}: "${a} ${b}" uses a token no earlier merge made`);
    if (seen.has(a + b)) throw new Error(`clip merges line ${i + 1}: "${a} ${b}" makes "${a + b}", which is already a token`);
    seen.add(a + b);
    vocab.push(a + b);
  });
  return [...vocab, CLIP_BOS, CLIP_EOS];
}

/** <|startoftext|> and <|endoftext|>, the last two ids; CLIPConverter marks them normalized. */
function clipSpecialTokens(vocab: string[]): SpecialTokenEntry[] {
  return [
    { id: vocab.length - 2, content: CLIP_BOS, normalized: true },
    { id: vocab.length - 1, content: CLIP_EOS, normalized: true },
  ];
}

/** tokenizer.json of a CLIP tokenizer with `merges`. */
export function clipTokenizerJson(merges: [string, string][]): string {
  const vocab = clipVocab(merges);
  const bos = vocab.length - 2;
  const eos = vocab.length - 1;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: clipSpecialTokens(vocab).map(addedToken),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [CLIP_EOS, eos], cls: [CLIP_BOS, bos], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: '@VOCAB@',
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  return JSON.stringify(json, null, 2).replace('"@VOCAB@"', vocabObject(vocab, '    '));
}

/** All five tokenizer files of a CLIPTokenizerFast with `merges`. */
export function clipTokenizerFiles(merges: [string, string][], opts: ClipTokenizerFilesOptions): Record<string, string> {
  const vocab = clipVocab(merges);
  const specialMap = { bos_token: CLIP_BOS, eos_token: CLIP_EOS, pad_token: CLIP_EOS, unk_token: CLIP_EOS };
  const config = {
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder(clipSpecialTokens(vocab)),
    ...specialMap,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    errors: 'replace',
    model_max_length: opts.modelMaxLength,
    tokenizer_class: 'CLIPTokenizer',
  };
  return {
    'tokenizer.json': clipTokenizerJson(merges),
    'vocab.json': vocabObject(vocab, '') + '\n',
    // the "#version" header line is what CLIPTokenizer (slow) skips when it reads merges.txt
    'merges.txt': ['#version: 0.2', ...merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n',
    ...tokenizerConfigFiles(config, specialMap),
  };
}
