/** What the UI shows about a model, from a loaded encoder or from config.json alone (before any download). */
import { parseBertConfig } from '../training/models/bert/bertConfig.ts';
import { readJson, readJsonIfExists, type ModelSource } from '../training/source/modelSource.ts';
import type { SentenceEncoder } from '../training/models/sentenceEncoder.ts';
import type { ModelInfo, ModelShape } from './api/labApi.ts';

export function encoderInfo(id: string, e: SentenceEncoder, warnings: string[] = []): ModelInfo {
  const c = e.model.config;
  let parameters = 0;
  for (const v of e.model.trainableParams().values()) parameters += v.size;
  return {
    id, modelType: String(e.modelConfig.model_type ?? 'bert'), hidden: c.hidden_size, layers: c.num_hidden_layers, heads: c.num_attention_heads,
    intermediate: c.intermediate_size, vocabSize: c.vocab_size, maxSeqLength: e.config.maxSeqLength, pooling: e.config.pooling,
    normalize: e.config.normalize, dim: c.hidden_size, parameters, warnings,
  };
}

/** The model's shape from config.json (+ sentence_bert_config.json): enough to estimate and refuse before downloading weights. */
export async function inspectSource(source: ModelSource): Promise<ModelShape & { id: string }> {
  const raw = await readJson(source, 'config.json');
  const c = parseBertConfig(raw, `${source.id}/config.json`);
  const st = await readJsonIfExists<{ max_seq_length?: number }>(source, 'sentence_bert_config.json');
  return {
    id: source.id, hidden: c.hidden_size, layers: c.num_hidden_layers, heads: c.num_attention_heads, intermediate: c.intermediate_size,
    vocabSize: c.vocab_size, maxSeqLength: Math.min(st?.max_seq_length ?? 512, c.max_position_embeddings),
  };
}
