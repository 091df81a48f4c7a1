/**
 * The BERT backbone of the sentence family: config.json (BertConfig), model.safetensors under BertModel names
 * (with or without the `bert.` prefix of task models), the tokenizer and sentence-transformers' pooling config.
 */
import { parseBertConfig } from '../../models/bert/bertConfig.ts';
import { normalizeBertNames } from '../../models/bert/bertWeights.ts';
import { BertModel } from '../../models/bert/bert.ts';
import { loadSentenceConfig } from '../../models/sentenceConfig.ts';
import { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import { loadTokenizer } from '../../models/tokenizer.ts';
import type { ModelSource } from '../../source/modelSource.ts';
import { readSafetensors } from '../../weights/safetensors.ts';
import type { LoadOptions } from '../family.ts';

// Buffers transformers keeps in checkpoints but never treats as weights.
const silentlyIgnored = /(^|\.)position_ids$/;

export async function loadBert(source: ModelSource, raw: Record<string, unknown>, opts: LoadOptions): Promise<SentenceEncoder> {
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
