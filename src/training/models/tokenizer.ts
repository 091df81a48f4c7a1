import { PreTrainedTokenizer } from '@huggingface/transformers';
import { bertTokenizerJson, defaultBertSpecialTokens, type BertSpecialTokens } from '../init/tokenizerFiles.ts';
import { ModelSourceError, type ModelSource } from '../source/modelSource.ts';

export interface EncodedBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

export interface TextTokenizer {
  /** [CLS] text [SEP] per row, truncated to maxLength (longest_first), right-padded to the longest row */
  encode(texts: string[], maxLength: number): EncodedBatch;
  /** tokenizer_config.json model_max_length, undefined when absent or the 1e30 "no limit" sentinel */
  readonly modelMaxLength: number | undefined;
  /** the tokenizer files to export with the model (originals, plus tokenizer.json when it had to be built) */
  readonly files: Record<string, string>;
}

const tokenizerFileNames = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

type TokenSetting = string | { content?: string } | null | undefined;
const tokenName = (v: TokenSetting): string | undefined => (typeof v === 'string' ? v : v?.content ?? undefined);

function parseJson(source: ModelSource, file: string, text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ModelSourceError(`${source.id}/${file}: invalid JSON (${(e as Error).message})`);
  }
}

/** tokenizer.json for a slow-tokenizer-only BERT repo, as transformers' BertConverter would build it. */
function tokenizerJsonFromVocab(vocabTxt: string, config: Record<string, unknown>): string {
  const vocab = vocabTxt.split('\n').map((l) => l.replace(/\r$/, ''));
  if (vocab.at(-1) === '') vocab.pop();
  const specialTokens: Partial<BertSpecialTokens> = {};
  for (const role of Object.keys(defaultBertSpecialTokens) as (keyof BertSpecialTokens)[]) {
    const name = tokenName(config[`${role}_token`] as TokenSetting);
    if (name) specialTokens[role] = name;
  }
  return bertTokenizerJson(vocab, {
    lowercase: (config.do_lower_case as boolean | undefined) ?? true,
    stripAccents: (config.strip_accents as boolean | null | undefined) ?? null,
    handleChineseChars: (config.tokenize_chinese_chars as boolean | undefined) ?? true,
    specialTokens,
  });
}

/** Splits the constant special tokens a single-sequence post-processor wraps around every text. */
function specialAffixes(tok: PreTrainedTokenizer): { prefix: number[]; suffix: number[] } {
  const probe = 'a';
  const bare = tok.encode(probe, { add_special_tokens: false });
  const full = tok.encode(probe, { add_special_tokens: true });
  for (let i = 0; i + bare.length <= full.length; i++) {
    if (bare.every((id, j) => full[i + j] === id)) return { prefix: full.slice(0, i), suffix: full.slice(i + bare.length) };
  }
  throw new Error('tokenizer post-processor does not keep the text tokens together; cannot truncate like Hugging Face');
}

/**
 * Builds the tokenizer from the source's JSON files with transformers.js (no network, no transformers.js
 * cache). Truncation is done here: transformers.js cuts the finished sequence (dropping [SEP]) whereas
 * Hugging Face truncates the text tokens and then adds the special tokens, which is what models saw in training.
 */
export async function loadTokenizer(source: ModelSource): Promise<TextTokenizer> {
  const files: Record<string, string> = {};
  for (const name of tokenizerFileNames) {
    if (await source.exists(name)) files[name] = await source.readText(name);
  }
  const config = files['tokenizer_config.json'] ? parseJson(source, 'tokenizer_config.json', files['tokenizer_config.json']) : {};
  if (!files['tokenizer.json']) {
    if (!files['vocab.txt']) {
      throw new ModelSourceError(`${source.id}: no tokenizer.json (or vocab.txt of a BERT WordPiece tokenizer) found`);
    }
    files['tokenizer.json'] = tokenizerJsonFromVocab(files['vocab.txt'], config);
  }
  if (!files['tokenizer_config.json']) files['tokenizer_config.json'] = JSON.stringify(config, null, 2) + '\n';
  const json = parseJson(source, 'tokenizer.json', files['tokenizer.json']);
  let tok: PreTrainedTokenizer;
  try {
    tok = new PreTrainedTokenizer(json, config);
  } catch (e) {
    throw new ModelSourceError(`${source.id}/tokenizer.json: cannot build the tokenizer (${(e as Error).message})`);
  }
  const padToken = tokenName(config.pad_token as TokenSetting) ?? '[PAD]';
  const padId = tok.convert_tokens_to_ids(padToken);
  if (padId === undefined || padId === null) {
    throw new ModelSourceError(`${source.id}/tokenizer_config.json: pad_token "${padToken}" is not in the vocabulary`);
  }
  const { prefix, suffix } = specialAffixes(tok);
  const rawMax = config.model_max_length;
  const modelMaxLength = typeof rawMax === 'number' && rawMax > 0 && rawMax < 1e12 ? rawMax : undefined;

  return {
    modelMaxLength,
    files,
    encode(texts, maxLength) {
      const room = maxLength - prefix.length - suffix.length;
      if (!Number.isInteger(maxLength) || room < 0) {
        throw new Error(`maxLength ${maxLength} leaves no room for the ${prefix.length + suffix.length} special tokens`);
      }
      const rows = texts.map((t) => [...prefix, ...tok.encode(t, { add_special_tokens: false }).slice(0, room), ...suffix]);
      const seqLen = rows.reduce((m, r) => Math.max(m, r.length), 0);
      const inputIds = new Int32Array(texts.length * seqLen).fill(padId);
      const attentionMask = new Int32Array(texts.length * seqLen);
      rows.forEach((r, i) => {
        inputIds.set(r, i * seqLen);
        attentionMask.fill(1, i * seqLen, i * seqLen + r.length);
      });
      return { inputIds, attentionMask, tokenTypeIds: new Int32Array(texts.length * seqLen), batchSize: texts.length, seqLen };
    },
  };
}
