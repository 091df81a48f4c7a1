/** What the UI shows about a text model, from a loaded encoder or from config.json alone (before any download). */
import { readJsonIfExists, type ModelSource } from '../../source/modelSource.ts';
import type { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import type { BertConfig } from '../../models/bert/bertConfig.ts';
import type { ModelDescription } from '../family.ts';
import type { TextShape } from '../shapes.ts';

export function describeSentenceEncoder(family: string, id: string, e: SentenceEncoder, warnings: string[] = []): ModelDescription {
  const c = e.model.config;
  let parameters = 0;
  for (const v of e.model.trainableParams().values()) parameters += v.size;
  return {
    id,
    modelType: String(e.modelConfig.model_type ?? 'bert'),
    family,
    task: 'text',
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    vocabSize: c.vocab_size,
    maxSeqLength: e.config.maxSeqLength,
    pooling: e.config.pooling,
    normalize: e.config.normalize,
    dim: c.hidden_size,
    parameters,
    warnings,
  };
}

/** Where a backbone's position table differs from BERT's (XLM-R: its first padding_idx + 1 rows are never used by real tokens). */
export interface ShapeExtras {
  usablePositions?: number;
  positions?: number;
  typeVocab?: number;
}

/** The model's shape from its parsed config (+ sentence_bert_config.json): enough to estimate and refuse before downloading weights. */
export async function inspectSentenceSource(
  family: string,
  source: ModelSource,
  c: BertConfig,
  extra: ShapeExtras = {},
): Promise<TextShape & { id: string }> {
  const st = await readJsonIfExists<{ max_seq_length?: number }>(source, 'sentence_bert_config.json');
  const { usablePositions, ...counts } = extra;
  return {
    id: source.id,
    family,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    vocabSize: c.vocab_size,
    maxSeqLength: Math.min(st?.max_seq_length ?? 512, usablePositions ?? c.max_position_embeddings),
    ...counts,
  };
}
