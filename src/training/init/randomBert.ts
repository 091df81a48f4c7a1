import type { BertConfig } from '../models/bert/bertConfig.ts';
import { bertParamSpecs } from '../models/bert/bertWeights.ts';
import { Rng } from '../random/rng.ts';
import { numel, type TensorMap } from '../weights/safetensors.ts';

export interface RandomBertOptions {
  seed?: number;
  /**
   * Hugging Face init (normal(0, initializer_range) weights, zero biases, unit LayerNorm) when false;
   * when true, biases and LayerNorm parameters are random too, so parity tests exercise every parameter.
   */
  perturbAll?: boolean;
}

/** Fresh BertModel weights as BertPreTrainedModel._init_weights would make them (seeded). */
export function randomBertWeights(c: BertConfig, opts: RandomBertOptions = {}): TensorMap {
  const rng = new Rng(opts.seed ?? 0);
  const std = c.initializer_range;
  const out: TensorMap = new Map();
  for (const spec of bertParamSpecs(c)) {
    const data = new Float32Array(numel(spec.shape));
    if (spec.kind === 'embedding' || spec.kind === 'linear') {
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      if (spec.name === 'embeddings.word_embeddings.weight') data.fill(0, c.pad_token_id * c.hidden_size, (c.pad_token_id + 1) * c.hidden_size);
    } else if (spec.kind === 'layernorm') {
      for (let i = 0; i < data.length; i++) data[i] = opts.perturbAll ? 1 + 0.1 * rng.normal() : 1;
    } else if (opts.perturbAll) {
      for (let i = 0; i < data.length; i++) data[i] = 0.05 * rng.normal();
    }
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}
