import type { ClipConfig } from '../models/clip/clipConfig.ts';
import { clipParamSpecs } from '../models/clip/clipWeights.ts';
import type { TensorMap } from '../weights/safetensors.ts';
import { randomParams, type RandomParamsOptions } from './randomParams.ts';

export interface RandomClipOptions extends RandomParamsOptions {
  /**
   * multiplies every weight's standard deviation (transformers' initializer_factor); tests use > 1 so that
   * attention is peaked and a transposed head or patch cannot hide behind near-uniform softmaxes
   */
  initFactor?: number;
}

/**
 * The standard deviation CLIPPreTrainedModel._init_weights gives a weight: 0.02 for embeddings, D^-0.5 for the
 * class embedding, the projections and out_proj, D^-0.5 (2 L)^-0.5 for q/k/v and fc2, (2 D)^-0.5 for fc1.
 */
function initStd(name: string, c: ClipConfig): number {
  const tower = name.startsWith('vision_model.') || name.startsWith('visual_') ? c.vision : c.text;
  const D = tower.hidden_size;
  const inProj = D ** -0.5 * (2 * tower.num_hidden_layers) ** -0.5;
  if (name.endsWith('class_embedding')) return D ** -0.5;
  if (name.endsWith('_projection.weight')) return D ** -0.5;
  if (/self_attn\.(q|k|v)_proj\.weight$/.test(name) || name.endsWith('mlp.fc2.weight')) return inProj;
  if (name.endsWith('self_attn.out_proj.weight')) return D ** -0.5;
  if (name.endsWith('mlp.fc1.weight')) return (2 * D) ** -0.5;
  return 0.02; // token, position and patch embeddings (initializer_range)
}

/** Fresh CLIPModel weights as transformers initialises them (seeded); logit_scale = logit_scale_init_value. */
export function randomClipWeights(c: ClipConfig, opts: RandomClipOptions = {}): TensorMap {
  const factor = opts.initFactor ?? 1;
  return randomParams(
    clipParamSpecs(c),
    opts,
    (name) => initStd(name, c) * factor,
    (spec, data) => {
      if (spec.kind === 'scalar') data[0] = c.logit_scale_init_value;
    },
  );
}
