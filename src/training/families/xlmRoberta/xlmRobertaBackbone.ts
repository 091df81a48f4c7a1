/**
 * Loads an XLM-RoBERTa sentence encoder: config.json (XLMRobertaConfig), model.safetensors under
 * XLMRobertaModel names (bare, or `roberta.`-prefixed as the task models save them), the SentencePiece
 * (Unigram) tokenizer.json with its <s> … </s> template and pad id 1, and sentence-transformers' pooling.
 * The encoder is the shared BertModel (XLMRobertaModel's layers are BertModel's) with RoBERTa's position ids.
 *
 * XLMRobertaConfig's defaults are BertConfig's except pad_token_id 1; the checkpoints themselves set
 * max_position_embeddings 514, type_vocab_size 1 and (most) layer_norm_eps 1e-5.
 */
import { ModelConfigError, parseBertConfig, type BertConfig } from '../../models/bert/bertConfig.ts';
import type { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import type { ModelSource } from '../../source/modelSource.ts';
import type { TensorMap } from '../../weights/safetensors.ts';
import type { LoadOptions } from '../family.ts';
import { loadBertLayoutEncoder } from '../sentence/bertBackbone.ts';
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

/** `roberta.` is the prefix of XLMRobertaFor* checkpoints; normalizeBertNames strips `bert.` and `model.`. */
function stripRobertaPrefix(tensors: TensorMap): TensorMap {
  return new Map([...tensors].map(([name, t]) => [name.replace(/^roberta\./, ''), t]));
}

export async function loadXlmRoberta(source: ModelSource, raw: Record<string, unknown>, opts: LoadOptions): Promise<SentenceEncoder> {
  const config = parseXlmRobertaConfig(raw, `${source.id}/config.json`);
  return loadBertLayoutEncoder(source, raw, config, opts, {
    modelName: XLM_ROBERTA_ARCHITECTURE,
    silentlyIgnored: /(^|\.)(position_ids|token_type_ids)$/,
    conversion: 'convert it with save_pretrained(dir, safe_serialization=True)',
    rename: stripRobertaPrefix,
    modelOptions: { positionIds: xlmRobertaPositionIds(config) },
    // loadSentenceConfig caps at the table size; RoBERTa's numbering leaves padding_idx + 1 rows fewer
    usablePositions: usablePositions(config),
  });
}
