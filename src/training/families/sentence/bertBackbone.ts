/**
 * The BERT backbone of the sentence family: config.json (BertConfig), model.safetensors under BertModel names
 * (with or without the `bert.` prefix of task models), the tokenizer and sentence-transformers' pooling config.
 * Families whose encoder is BertModel's under other names (XLM-RoBERTa) load through loadBertLayoutEncoder.
 */
import { BertModel, type BertModelOptions } from '../../models/bert/bert.ts';
import { parseBertConfig, type BertConfig } from '../../models/bert/bertConfig.ts';
import { normalizeBertNames } from '../../models/bert/bertWeights.ts';
import { loadSentenceConfig } from '../../models/sentenceConfig.ts';
import { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import { loadTokenizer } from '../../models/tokenizer.ts';
import { ModelSourceError, type ModelSource } from '../../source/modelSource.ts';
import { readSafetensors, type TensorMap } from '../../weights/safetensors.ts';
import type { LoadOptions } from '../family.ts';

/** How a family's checkpoints differ from BertModel's. */
export interface BertLayout {
  /** the model class the unused-tensor warning names */
  modelName: string;
  /** buffers transformers keeps in checkpoints but never treats as weights */
  silentlyIgnored: RegExp;
  /** how to convert a checkpoint that ships only pytorch_model.bin, quoted in the error */
  conversion: string;
  /** renames before normalizeBertNames (which strips `bert.` and `model.`) */
  rename?: (tensors: TensorMap) => TensorMap;
  modelOptions?: BertModelOptions;
  /** positions a token can use when fewer than max_position_embeddings */
  usablePositions?: number;
}

const bertLayout: BertLayout = {
  modelName: 'BertModel',
  silentlyIgnored: /(^|\.)position_ids$/,
  conversion: 'convert it, e.g. AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True), or pick a model that ships safetensors',
};

async function readWeights(source: ModelSource, config: BertConfig, opts: LoadOptions, layout: BertLayout): Promise<TensorMap> {
  if (!(await source.exists('model.safetensors'))) {
    const hint = (await source.exists('pytorch_model.bin'))
      ? `: only pytorch_model.bin found; ftlab reads model.safetensors (${layout.conversion})`
      : ': model.safetensors not found';
    throw new ModelSourceError(`${source.id}${hint}`);
  }
  const file = `${source.id}/model.safetensors`;
  const tensors = readSafetensors(await source.readBytes('model.safetensors', opts.onProgress), { source: file, onWarning: opts.onWarning });
  const { weights, unused } = normalizeBertNames(layout.rename ? layout.rename(tensors) : tensors, config, file);
  const reported = unused.filter((n) => !layout.silentlyIgnored.test(n));
  if (reported.length) {
    const list = reported.slice(0, 5).join(', ') + (reported.length > 5 ? ` and ${reported.length - 5} more` : '');
    opts.onWarning?.(`${file}: ignored ${reported.length} tensor(s) that are not part of ${layout.modelName}: ${list}`);
  }
  return weights;
}

/** A sentence encoder on BertModel from `config` (parsed from `raw` by the family) and the source's files. */
export async function loadBertLayoutEncoder(
  source: ModelSource,
  raw: Record<string, unknown>,
  config: BertConfig,
  opts: LoadOptions,
  layout: BertLayout,
): Promise<SentenceEncoder> {
  if (opts.dropout !== undefined) {
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${opts.dropout}`);
    config.hidden_dropout_prob = opts.dropout;
    config.attention_probs_dropout_prob = opts.dropout;
  }
  const weights = await readWeights(source, config, opts, layout);
  const tokenizer = await loadTokenizer(source);
  const sentence = await loadSentenceConfig(source, config, tokenizer.modelMaxLength);
  if (layout.usablePositions !== undefined) sentence.maxSeqLength = Math.min(sentence.maxSeqLength, layout.usablePositions);
  const model = BertModel.fromWeights(config, weights, layout.modelOptions);
  return new SentenceEncoder({
    model,
    tokenizer,
    config: sentence,
    modelConfig: raw,
    sourceId: source.id,
    dropout: { hidden: config.hidden_dropout_prob, attention: config.attention_probs_dropout_prob },
  });
}

export async function loadBert(source: ModelSource, raw: Record<string, unknown>, opts: LoadOptions): Promise<SentenceEncoder> {
  return loadBertLayoutEncoder(source, raw, parseBertConfig(raw, `${source.id}/config.json`), opts, bertLayout);
}
