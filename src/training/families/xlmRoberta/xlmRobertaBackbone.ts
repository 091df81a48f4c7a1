/**
 * Loads an XLM-RoBERTa sentence encoder: config.json (XLMRobertaConfig), model.safetensors under
 * XLMRobertaModel names (bare, or `roberta.`-prefixed as the task models save them), the SentencePiece
 * (Unigram) tokenizer.json with its <s> … </s> template and pad id 1, and sentence-transformers' pooling.
 * The encoder is the shared BertModel (XLMRobertaModel's layers are BertModel's) with RoBERTa's position ids.
 *
 * XLMRobertaConfig's defaults are BertConfig's except pad_token_id 1; the checkpoints themselves set
 * max_position_embeddings 514, type_vocab_size 1 and (most) layer_norm_eps 1e-5.
 */
import { BertModel } from '../../models/bert/bert.ts';
import { ModelConfigError, parseBertConfig, type BertConfig } from '../../models/bert/bertConfig.ts';
import { normalizeBertNames } from '../../models/bert/bertWeights.ts';
import { loadSentenceConfig } from '../../models/sentenceConfig.ts';
import { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import { loadTokenizer } from '../../models/tokenizer.ts';
import { ModelSourceError, type ModelSource } from '../../source/modelSource.ts';
import { readSafetensors, type TensorMap } from '../../weights/safetensors.ts';
import type { LoadOptions } from '../family.ts';
import { usablePositions, xlmRobertaPositionIds } from './xlmRobertaPositions.ts';

export const xlmRobertaModelTypes = ['xlm-roberta'] as const;

/** The exported folder's config.json architecture and the bare model's weight names. */
export const XLM_ROBERTA_ARCHITECTURE = 'XLMRobertaModel';

export function parseXlmRobertaConfig(raw: Record<string, unknown>, where = 'config.json'): BertConfig {
  const config = parseBertConfig({ pad_token_id: 1, ...raw }, where);
  const pad = config.pad_token_id;
  if (!Number.isInteger(pad) || pad < 0 || pad >= config.vocab_size) {
    throw new ModelConfigError(`${where}: pad_token_id must be a token id below vocab_size ${config.vocab_size}, got ${JSON.stringify(pad)}`);
  }
  if (!Number.isInteger(config.type_vocab_size) || config.type_vocab_size < 1) {
    throw new ModelConfigError(`${where}: type_vocab_size must be a positive integer, got ${JSON.stringify(config.type_vocab_size)}`);
  }
  if (usablePositions(config) < 1) {
    throw new ModelConfigError(
      `${where}: max_position_embeddings ${config.max_position_embeddings} leaves no position for a token ` +
        `(XLM-RoBERTa numbers tokens from pad_token_id + 1 = ${pad + 1})`,
    );
  }
  return config;
}

// Buffers transformers keeps in checkpoints but never treats as weights.
const silentlyIgnored = /(^|\.)(position_ids|token_type_ids)$/;

/** `roberta.` is the prefix of XLMRobertaFor* checkpoints; normalizeBertNames strips `bert.` and `model.`. */
function stripRobertaPrefix(tensors: TensorMap): TensorMap {
  return new Map([...tensors].map(([name, t]) => [name.replace(/^roberta\./, ''), t]));
}

async function readWeights(source: ModelSource, opts: LoadOptions): Promise<TensorMap> {
  if (!(await source.exists('model.safetensors'))) {
    const hint = (await source.exists('pytorch_model.bin'))
      ? ': only pytorch_model.bin found; ftlab reads model.safetensors (convert it with save_pretrained(dir, safe_serialization=True))'
      : ': model.safetensors not found';
    throw new ModelSourceError(`${source.id}${hint}`);
  }
  const file = `${source.id}/model.safetensors`;
  return stripRobertaPrefix(
    readSafetensors(await source.readBytes('model.safetensors', opts.onProgress), { source: file, onWarning: opts.onWarning }),
  );
}

export async function loadXlmRoberta(source: ModelSource, raw: Record<string, unknown>, opts: LoadOptions): Promise<SentenceEncoder> {
  const config = parseXlmRobertaConfig(raw, `${source.id}/config.json`);
  if (opts.dropout !== undefined) {
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${opts.dropout}`);
    config.hidden_dropout_prob = opts.dropout;
    config.attention_probs_dropout_prob = opts.dropout;
  }
  const file = `${source.id}/model.safetensors`;
  const { weights, unused } = normalizeBertNames(await readWeights(source, opts), config, file);
  const reported = unused.filter((n) => !silentlyIgnored.test(n));
  if (reported.length) {
    const list = reported.slice(0, 5).join(', ') + (reported.length > 5 ? ` and ${reported.length - 5} more` : '');
    opts.onWarning?.(`${file}: ignored ${reported.length} tensor(s) that are not part of XLMRobertaModel: ${list}`);
  }
  const tokenizer = await loadTokenizer(source);
  const sentence = await loadSentenceConfig(source, config, tokenizer.modelMaxLength);
  // loadSentenceConfig caps at the table size; RoBERTa's numbering leaves padding_idx + 1 rows fewer
  sentence.maxSeqLength = Math.min(sentence.maxSeqLength, usablePositions(config));
  const model = BertModel.fromWeights(config, weights, { positionIds: xlmRobertaPositionIds(config) });
  return new SentenceEncoder({
    model,
    tokenizer,
    config: sentence,
    modelConfig: raw,
    sourceId: source.id,
    dropout: { hidden: config.hidden_dropout_prob, attention: config.attention_probs_dropout_prob },
  });
}
