/**
 * The tokenizer files XLMRobertaTokenizerFast.save_pretrained writes (tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json) for a Unigram vocabulary: fairseq's special ids (<s> 0, <pad> 1, </s> 2, <unk> 3),
 * the pieces, <mask> last; "<s> A </s>" and "<s> A </s></s> B </s>" templates with token type 0 throughout.
 * The normalizer stands in for SentencePiece's precompiled NFKC charsmap: NFKC, whitespace collapsed and
 * stripped (both transformers.js and HF tokenizers implement every step).
 */
import { addedToken, addedTokensDecoder, tokenizerConfigFiles } from '../../init/tokenizerJson.ts';
import { learnUnigram, METASPACE, type UnigramOptions } from './unigram.ts';

export const xlmRobertaSpecials = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;

export interface XlmRobertaTokenizerOptions extends UnigramOptions {
  /** model_max_length; default 512 */
  modelMaxLength?: number;
}

/** The vocabulary in id order: specials 0..3, learned pieces, <mask>. */
export function xlmRobertaVocab(texts: readonly string[], vocabSize: number, opts: UnigramOptions = {}): [string, number][] {
  const { bos, pad, eos, unk, mask } = xlmRobertaSpecials;
  const specials = new Set<string>(Object.values(xlmRobertaSpecials));
  const pieces = learnUnigram(texts, Math.max(1, vocabSize - 5), opts).filter(([p]) => !specials.has(p));
  return [[bos, 0], [pad, 0], [eos, 0], [unk, 0], ...pieces, [mask, 0]];
}

export function xlmRobertaTokenizerFiles(vocab: [string, number][], opts: XlmRobertaTokenizerOptions = {}): Record<string, string> {
  const { bos, pad, eos, unk, mask } = xlmRobertaSpecials;
  const maskId = vocab.length - 1;
  const specials = [
    { id: 0, content: bos },
    { id: 1, content: pad },
    { id: 2, content: eos },
    { id: 3, content: unk },
    { id: maskId, content: mask, lstrip: true },
  ];
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: string) => ({ Sequence: { id, type_id: 0 } });
  const metaspace = { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(addedToken),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        ...(opts.lowercase ? [{ type: 'Lowercase' }] : []),
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(bos), seq('A'), special(eos)],
      pair: [special(bos), seq('A'), special(eos), special(eos), seq('B'), special(eos)],
      special_tokens: { [bos]: { id: bos, ids: [0], tokens: [bos] }, [eos]: { id: eos, ids: [2], tokens: [eos] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
  const maskToken = { content: mask, lstrip: true, normalized: false, rstrip: false, single_word: false };
  const names = { bos_token: bos, cls_token: bos, eos_token: eos, pad_token: pad, sep_token: eos, unk_token: unk };
  const config = {
    added_tokens_decoder: addedTokensDecoder(specials),
    clean_up_tokenization_spaces: true,
    ...names,
    mask_token: mask,
    model_max_length: opts.modelMaxLength ?? 512,
    tokenizer_class: 'XLMRobertaTokenizer',
  };
  return {
    'tokenizer.json': JSON.stringify(tokenizer, null, 2),
    ...tokenizerConfigFiles(config, { ...names, mask_token: maskToken }),
  };
}
