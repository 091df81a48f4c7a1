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
  /**
   * [CLS] a [SEP] b [SEP] per pair (token types 0 for the first segment and its [SEP], 1 after), the two
   * texts truncated together to maxLength with Hugging Face tokenizers' longest_first, right-padded.
   */
  encodePairs(a: string[], b: string[], maxLength: number): EncodedBatch;
  /** tokenizer_config.json model_max_length, undefined when absent or the 1e30 "no limit" sentinel */
  readonly modelMaxLength: number | undefined;
  /** the tokenizer files to export with the model (originals, plus tokenizer.json when it had to be built) */
  readonly files: Record<string, string>;
}

const tokenizerFileNames = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

type TokenSetting = string | { content?: string } | null | undefined;
const tokenName = (v: TokenSetting): string | undefined => (typeof v === 'string' ? v : (v?.content ?? undefined));

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
  const encodePairs = pairEncoder(tok, padId);
  const rawMax = config.model_max_length;
  const modelMaxLength = typeof rawMax === 'number' && rawMax > 0 && rawMax < 1e12 ? rawMax : undefined;

  return {
    modelMaxLength,
    files,
    encodePairs,
    encode(texts, maxLength) {
      const room = maxLength - prefix.length - suffix.length;
      if (!Number.isInteger(maxLength) || room < 0) {
        throw new Error(`maxLength ${maxLength} leaves no room for the ${prefix.length + suffix.length} special tokens`);
      }
      const rows = texts.map((t) => [...prefix, ...tok.encode(t, { add_special_tokens: false }).slice(0, room), ...suffix]);
      return packRows(rows, undefined, padId);
    },
  };
}

/** Right-pads token rows (and their token types, 0 when absent) to the longest row. */
function packRows(rows: number[][], types: number[][] | undefined, padId: number): EncodedBatch {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const inputIds = new Int32Array(rows.length * seqLen).fill(padId);
  const attentionMask = new Int32Array(rows.length * seqLen);
  const tokenTypeIds = new Int32Array(rows.length * seqLen);
  rows.forEach((r, i) => {
    inputIds.set(r, i * seqLen);
    attentionMask.fill(1, i * seqLen, i * seqLen + r.length);
    if (types) tokenTypeIds.set(types[i]!, i * seqLen);
  });
  return { inputIds, attentionMask, tokenTypeIds, batchSize: rows.length, seqLen };
}

/**
 * Kept lengths of a pair that must fit `room` text tokens, as Hugging Face tokenizers' (Rust) longest_first
 * computes them: the longer text is cut first; when both must be cut the shorter keeps floor(room/2) and the
 * longer ceil(room/2), and on equal lengths the second text gets the extra token. (The slow Python tokenizers
 * remove one token at a time and break ties the other way; the fast ones are what AutoTokenizer loads.)
 */
export function longestFirst(n1: number, n2: number, room: number): [number, number] {
  if (n1 + n2 <= room) return [n1, n2];
  const swap = n1 > n2;
  let short = swap ? n2 : n1;
  let long = short > room ? short : Math.max(short, room - short);
  if (short + long > room) {
    short = Math.floor(room / 2);
    long = short + (room % 2);
  }
  return swap ? [long, short] : [short, long];
}

interface PairTemplate {
  ids: { prefix: number[]; mid: number[]; suffix: number[] };
  types: { prefix: number[]; a: number; mid: number[]; b: number; suffix: number[] };
}

/** Reads the pair post-processor (e.g. [CLS] A [SEP] B [SEP] with type ids 0/0/0/1/1) by encoding a probe pair. */
function pairTemplate(tok: PreTrainedTokenizer): PairTemplate {
  const probe = 'a';
  const bare = tok.encode(probe, { add_special_tokens: false });
  const call = tok as unknown as (t: string, o: Record<string, unknown>) => { input_ids: number[]; token_type_ids?: number[] };
  const full = call(probe, { text_pair: probe, add_special_tokens: true, return_token_type_ids: true, return_tensor: false });
  const ids = full.input_ids;
  const types = full.token_type_ids ?? ids.map(() => 0);
  const at = (i: number) => bare.length > 0 && bare.every((id, k) => ids[i + k] === id);
  let i = 0;
  while (i < ids.length && !at(i)) i++;
  let j = ids.length - bare.length;
  while (j >= i + bare.length && !at(j)) j--;
  if (i >= ids.length || j < i + bare.length) {
    throw new Error('tokenizer post-processor has no recognisable pair template; cannot encode text pairs like Hugging Face');
  }
  const la = bare.length;
  return {
    ids: { prefix: ids.slice(0, i), mid: ids.slice(i + la, j), suffix: ids.slice(j + la) },
    types: { prefix: types.slice(0, i), a: types[i]!, mid: types.slice(i + la, j), b: types[j]!, suffix: types.slice(j + la) },
  };
}

/**
 * Pair encoding for any transformers.js tokenizer (also used on the one AutoTokenizer loads for the ONNX
 * cross-encoder): transformers.js itself cuts the finished sequence, dropping the last [SEP], whereas Hugging
 * Face truncates the texts with longest_first and then adds the special tokens.
 */
export function pairEncoder(tok: PreTrainedTokenizer, padId: number): (a: string[], b: string[], maxLength: number) => EncodedBatch {
  const t = pairTemplate(tok);
  const special = t.ids.prefix.length + t.ids.mid.length + t.ids.suffix.length;
  return (a, b, maxLength) => {
    if (a.length !== b.length) throw new Error(`encodePairs: ${a.length} first texts but ${b.length} second texts`);
    const room = maxLength - special;
    if (!Number.isInteger(maxLength) || room < 0)
      throw new Error(`maxLength ${maxLength} leaves no room for the ${special} special tokens of a pair`);
    const rows: number[][] = [];
    const types: number[][] = [];
    a.forEach((textA, r) => {
      const ia = tok.encode(textA, { add_special_tokens: false });
      const ib = tok.encode(b[r]!, { add_special_tokens: false });
      const [na, nb] = longestFirst(ia.length, ib.length, room);
      rows.push([...t.ids.prefix, ...ia.slice(0, na), ...t.ids.mid, ...ib.slice(0, nb), ...t.ids.suffix]);
      types.push([...t.types.prefix, ...Array<number>(na).fill(t.types.a), ...t.types.mid, ...Array<number>(nb).fill(t.types.b), ...t.types.suffix]);
    });
    return packRows(rows, types, padId);
  };
}
