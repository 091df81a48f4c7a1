import { Rng } from '../random/rng.ts';
import { numel, type TensorMap } from '../weights/safetensors.ts';

export interface RandomParamsOptions {
  seed?: number;
  /** random biases and LayerNorms too, so parity tests exercise every parameter; default false = Hugging Face init */
  perturbAll?: boolean;
}

interface ParamSpecLike {
  name: string;
  shape: number[];
  kind: string;
}

/**
 * Tensors for `specs` as transformers' _init_weights fills them (seeded): normal(0, weightStd(name)) embeddings
 * and linear weights, unit LayerNorm weights, zero biases. `finish` then sees every tensor, for what a model
 * initialises its own way (BERT's padding row, CLIP's logit_scale).
 */
export function randomParams<S extends ParamSpecLike>(
  specs: readonly S[],
  opts: RandomParamsOptions,
  weightStd: (name: string) => number,
  finish?: (spec: S, data: Float32Array) => void,
): TensorMap {
  const rng = new Rng(opts.seed ?? 0);
  const out: TensorMap = new Map();
  for (const spec of specs) {
    const data = new Float32Array(numel(spec.shape));
    if (spec.kind === 'embedding' || spec.kind === 'linear') {
      const std = weightStd(spec.name);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    } else if (spec.kind === 'layernorm') {
      for (let i = 0; i < data.length; i++) data[i] = opts.perturbAll ? 1 + 0.1 * rng.normal() : 1;
    } else if (spec.kind === 'bias' && opts.perturbAll) {
      for (let i = 0; i < data.length; i++) data[i] = 0.05 * rng.normal();
    }
    finish?.(spec, data);
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}
