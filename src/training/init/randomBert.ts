import type { BertConfig } from '../models/bert/bertConfig.ts';
import { bertParamSpecs } from '../models/bert/bertWeights.ts';
import type { TensorMap } from '../weights/safetensors.ts';
import { randomParams, type RandomParamsOptions } from './randomParams.ts';

export type RandomBertOptions = RandomParamsOptions;

/** Fresh BertModel weights as BertPreTrainedModel._init_weights would make them (seeded). */
export function randomBertWeights(c: BertConfig, opts: RandomBertOptions = {}): TensorMap {
  return randomParams(
    bertParamSpecs(c),
    opts,
    () => c.initializer_range,
    (spec, data) => {
      if (spec.name === 'embeddings.word_embeddings.weight') data.fill(0, c.pad_token_id * c.hidden_size, (c.pad_token_id + 1) * c.hidden_size);
    },
  );
}
