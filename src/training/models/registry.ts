import { parseBertConfig } from './bert/bertConfig.ts';
import { normalizeBertNames } from './bert/bertWeights.ts';
import { BertModel } from './bert/bert.ts';
import { loadSentenceConfig } from './sentenceConfig.ts';
import { SentenceEncoder } from './sentenceEncoder.ts';
import { loadTokenizer } from './tokenizer.ts';
import { readJson, type ModelSource } from '../source/modelSource.ts';
import { readSafetensors } from '../weights/safetensors.ts';

export interface LoadEncoderOptions {
  /** replaces both hidden_dropout_prob and attention_probs_dropout_prob (training only) */
  dropout?: number;
  onWarning?: (message: string) => void;
  /** download progress of the weights file */
  onProgress?: (loaded: number, total?: number) => void;
}

export type ModelLoader = (source: ModelSource, rawConfig: Record<string, unknown>, opts: LoadEncoderOptions) => Promise<SentenceEncoder>;

const loaders = new Map<string, ModelLoader>();

/** Adds (or replaces) the loader for a config.json `model_type`. */
export function registerModelType(type: string, loader: ModelLoader): void {
  loaders.set(type, loader);
}

export function supportedModelTypes(): string[] {
  return [...loaders.keys()];
}

/** Loads a sentence-transformers model folder (config.json decides the architecture). */
export async function loadSentenceEncoder(source: ModelSource, opts: LoadEncoderOptions = {}): Promise<SentenceEncoder> {
  const raw = await readJson(source, 'config.json');
  const type = raw.model_type;
  if (type === 'clip') {
    throw new Error(`${source.id}/config.json: ${source.id} is a CLIP model: use it with --images / --loss clip (it embeds texts and images, not sentences alone)`);
  }
  const loader = typeof type === 'string' ? loaders.get(type) : undefined;
  if (!loader) {
    const what = typeof type === 'string' ? `model_type "${type}" is not supported` : 'has no "model_type"';
    throw new Error(`${source.id}/config.json: ${what} (supported model types: ${supportedModelTypes().join(', ')})`);
  }
  return loader(source, raw, opts);
}

/** config.json's model_type ("" when absent), so callers can pick the sentence or the CLIP loader. */
export async function modelTypeOf(source: ModelSource): Promise<string> {
  const type = (await readJson(source, 'config.json')).model_type;
  return typeof type === 'string' ? type : '';
}

// Buffers transformers keeps in checkpoints but never treats as weights.
const silentlyIgnored = /(^|\.)position_ids$/;

async function loadBert(source: ModelSource, raw: Record<string, unknown>, opts: LoadEncoderOptions): Promise<SentenceEncoder> {
  const config = parseBertConfig(raw, `${source.id}/config.json`);
  if (opts.dropout !== undefined) {
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${opts.dropout}`);
    config.hidden_dropout_prob = opts.dropout;
    config.attention_probs_dropout_prob = opts.dropout;
  }
  if (!(await source.exists('model.safetensors'))) {
    if (await source.exists('pytorch_model.bin')) {
      throw new Error(
        `${source.id}: only pytorch_model.bin found; ftlab reads model.safetensors (convert it, e.g. ` +
          `AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True), or pick a model that ships safetensors)`,
      );
    }
    throw new Error(`${source.id}: model.safetensors not found`);
  }
  const file = `${source.id}/model.safetensors`;
  const tensors = readSafetensors(await source.readBytes('model.safetensors', opts.onProgress), { source: file, onWarning: opts.onWarning });
  const { weights, unused } = normalizeBertNames(tensors, config, file);
  const reported = unused.filter((n) => !silentlyIgnored.test(n));
  if (reported.length) {
    const list = reported.slice(0, 5).join(', ') + (reported.length > 5 ? ` and ${reported.length - 5} more` : '');
    opts.onWarning?.(`${file}: ignored ${reported.length} tensor(s) that are not part of BertModel: ${list}`);
  }
  const tokenizer = await loadTokenizer(source);
  const sentence = await loadSentenceConfig(source, config, tokenizer.modelMaxLength);
  const model = BertModel.fromWeights(config, weights);
  return new SentenceEncoder({
    model,
    tokenizer,
    config: sentence,
    modelConfig: raw,
    sourceId: source.id,
    dropout: { hidden: config.hidden_dropout_prob, attention: config.attention_probs_dropout_prob },
  });
}

registerModelType('bert', loadBert);
