import type { ClipConfig, ClipTowerConfig } from './clipConfig.ts';
import type { ParamKind } from '../bert/bertWeights.ts';
import type { TensorMap } from '../../weights/safetensors.ts';

/** 'scalar' is logit_scale (never weight-decayed); the rest as for BERT. */
export type ClipParamKind = ParamKind | 'scalar';

export interface ClipParamSpec {
  /** Hugging Face CLIPModel state_dict name, e.g. `text_model.encoder.layers.0.self_attn.q_proj.weight` */
  name: string;
  shape: number[];
  kind: ClipParamKind;
}

/** The parameter names of one pre-LN CLIPEncoderLayer under `prefix` (also the checkpointed layer's inputs). */
export function clipLayerParamNames(prefix: string): string[] {
  return [
    'self_attn.q_proj',
    'self_attn.k_proj',
    'self_attn.v_proj',
    'self_attn.out_proj',
    'layer_norm1',
    'layer_norm2',
    'mlp.fc1',
    'mlp.fc2',
  ].flatMap((n) => [`${prefix}.${n}.weight`, `${prefix}.${n}.bias`]);
}

function towerLayers(specs: ClipParamSpec[], c: ClipTowerConfig, tower: string): void {
  const D = c.hidden_size;
  const I = c.intermediate_size;
  const linear = (name: string, out: number, inp: number) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], kind: 'linear' }, { name: `${name}.bias`, shape: [out], kind: 'bias' });
  };
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [D], kind: 'layernorm' }, { name: `${name}.bias`, shape: [D], kind: 'bias' });
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `${tower}.encoder.layers.${l}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) linear(`${p}.self_attn.${n}`, D, D);
    norm(`${p}.layer_norm1`);
    linear(`${p}.mlp.fc1`, I, D);
    linear(`${p}.mlp.fc2`, D, I);
    norm(`${p}.layer_norm2`);
  }
}

/** Every parameter of a Hugging Face CLIPModel, linear weights [out, in], the patch embedding as Conv2d [D, C, p, p]. */
export function clipParamSpecs(c: ClipConfig): ClipParamSpec[] {
  const t = c.text;
  const v = c.vision;
  const Dt = t.hidden_size;
  const Dv = v.hidden_size;
  const positions = (v.image_size / v.patch_size) ** 2 + 1;
  const specs: ClipParamSpec[] = [
    { name: 'text_model.embeddings.token_embedding.weight', shape: [t.vocab_size, Dt], kind: 'embedding' },
    { name: 'text_model.embeddings.position_embedding.weight', shape: [t.max_position_embeddings, Dt], kind: 'embedding' },
  ];
  towerLayers(specs, t, 'text_model');
  specs.push(
    { name: 'text_model.final_layer_norm.weight', shape: [Dt], kind: 'layernorm' },
    { name: 'text_model.final_layer_norm.bias', shape: [Dt], kind: 'bias' },
    { name: 'vision_model.embeddings.class_embedding', shape: [Dv], kind: 'embedding' },
    { name: 'vision_model.embeddings.patch_embedding.weight', shape: [Dv, v.num_channels, v.patch_size, v.patch_size], kind: 'linear' },
    { name: 'vision_model.embeddings.position_embedding.weight', shape: [positions, Dv], kind: 'embedding' },
    // "pre_layrnorm" (sic) is the name transformers uses
    { name: 'vision_model.pre_layrnorm.weight', shape: [Dv], kind: 'layernorm' },
    { name: 'vision_model.pre_layrnorm.bias', shape: [Dv], kind: 'bias' },
  );
  towerLayers(specs, v, 'vision_model');
  specs.push(
    { name: 'vision_model.post_layernorm.weight', shape: [Dv], kind: 'layernorm' },
    { name: 'vision_model.post_layernorm.bias', shape: [Dv], kind: 'bias' },
    { name: 'visual_projection.weight', shape: [c.projection_dim, Dv], kind: 'linear' },
    { name: 'text_projection.weight', shape: [c.projection_dim, Dt], kind: 'linear' },
    { name: 'logit_scale', shape: [], kind: 'scalar' },
  );
  return specs;
}

/**
 * Picks the CLIPModel tensors out of a checkpoint (names as CLIPModel.save_pretrained writes them) and checks
 * their shapes. Returns the names of tensors that were not used (the caller decides what to warn about).
 */
export function normalizeClipNames(raw: TensorMap, c: ClipConfig, file = 'model.safetensors'): { weights: TensorMap; unused: string[] } {
  const wanted = new Map(clipParamSpecs(c).map((s) => [s.name, s]));
  const weights: TensorMap = new Map();
  const unused: string[] = [];
  for (const [name, t] of raw) {
    const spec = wanted.get(name);
    if (!spec) {
      unused.push(name);
      continue;
    }
    // torch saves a 0-d logit_scale; some converters write it as [1]
    const shapeOk = spec.shape.join(',') === t.shape.join(',') || (spec.kind === 'scalar' && t.data.length === 1);
    if (!shapeOk) throw new Error(`${file}: tensor "${name}" has shape [${t.shape}] but the config needs [${spec.shape}]`);
    weights.set(name, spec.kind === 'scalar' ? { ...t, shape: [] } : t);
  }
  const missing = [...wanted.keys()].filter((n) => !weights.has(n));
  if (missing.length) {
    const towers =
      missing.some((n) => n.startsWith('vision_model.')) && !missing.some((n) => n.startsWith('text_model.'))
        ? ' (a text-only checkpoint? ftlab needs a full CLIPModel)'
        : '';
    throw new Error(
      `${file}: missing tensor(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}${towers}`,
    );
  }
  return { weights, unused };
}
