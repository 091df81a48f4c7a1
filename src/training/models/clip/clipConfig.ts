import { ModelConfigError } from '../bert/bertConfig.ts';

/** Fields both CLIP towers share (transformers CLIPTextConfig / CLIPVisionConfig). */
export interface ClipTowerConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  hidden_act: 'quick_gelu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh';
  layer_norm_eps: number;
}

export interface ClipTextConfig extends ClipTowerConfig {
  vocab_size: number;
  max_position_embeddings: number;
  eos_token_id: number;
  bos_token_id: number;
  pad_token_id: number;
}

export interface ClipVisionConfig extends ClipTowerConfig {
  image_size: number;
  patch_size: number;
  num_channels: number;
}

export interface ClipConfig {
  text: ClipTextConfig;
  vision: ClipVisionConfig;
  projection_dim: number;
  logit_scale_init_value: number;
}

// transformers' CLIPTextConfig / CLIPVisionConfig defaults (openai/clip-vit-base-patch32), used for missing fields.
export const clipTextDefaults: ClipTextConfig = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 49406,
  eos_token_id: 49407,
};

export const clipVisionDefaults: ClipVisionConfig = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  image_size: 224,
  patch_size: 32,
  num_channels: 3,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
};

const acts: ClipTowerConfig['hidden_act'][] = ['quick_gelu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh'];

function positiveInt(v: unknown, field: string, where: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0)
    throw new ModelConfigError(`${where}: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function subConfig(raw: Record<string, unknown>, key: 'text_config' | 'vision_config', where: string): Record<string, unknown> {
  // configs saved by transformers < 4.23 kept the sub-configs under *_config_dict
  const v = raw[key] ?? raw[`${key}_dict`] ?? {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelConfigError(`${where}: ${key} must be an object`);
  return v as Record<string, unknown>;
}

function checkTower<T extends ClipTowerConfig>(cfg: T, where: string, extra: (keyof T & string)[]): T {
  if (!acts.includes(cfg.hidden_act)) {
    throw new ModelConfigError(`${where}.hidden_act: "${cfg.hidden_act}" is not supported (use one of ${acts.join(', ')})`);
  }
  for (const k of ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', ...extra] as (keyof T & string)[]) {
    positiveInt(cfg[k], k, where);
  }
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new ModelConfigError(`${where}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  if (!(typeof cfg.layer_norm_eps === 'number' && cfg.layer_norm_eps > 0)) {
    throw new ModelConfigError(`${where}.layer_norm_eps must be a positive number, got ${JSON.stringify(cfg.layer_norm_eps)}`);
  }
  return cfg;
}

/** Reads a CLIPModel config.json (partial sub-configs take transformers' defaults); errors name the field. */
export function parseClipConfig(raw: Record<string, unknown>, where = 'config.json'): ClipConfig {
  if (raw.model_type !== undefined && raw.model_type !== 'clip') {
    throw new ModelConfigError(`${where}: model_type "${String(raw.model_type)}" is not "clip"`);
  }
  const text = checkTower({ ...clipTextDefaults, ...subConfig(raw, 'text_config', where) } as ClipTextConfig, `${where}: text_config`, [
    'vocab_size',
    'max_position_embeddings',
  ]);
  const vision = checkTower({ ...clipVisionDefaults, ...subConfig(raw, 'vision_config', where) } as ClipVisionConfig, `${where}: vision_config`, [
    'image_size',
    'patch_size',
    'num_channels',
  ]);
  for (const k of ['eos_token_id', 'bos_token_id'] as const) {
    if (!Number.isInteger(text[k]) || text[k] < 0)
      throw new ModelConfigError(`${where}: text_config.${k} must be a token id, got ${JSON.stringify(text[k])}`);
  }
  if (vision.image_size % vision.patch_size !== 0) {
    throw new ModelConfigError(`${where}: vision_config.image_size ${vision.image_size} is not a multiple of patch_size ${vision.patch_size}`);
  }
  const projection_dim = positiveInt(raw.projection_dim ?? 512, 'projection_dim', where);
  const logit_scale_init_value = raw.logit_scale_init_value ?? 2.6592;
  if (typeof logit_scale_init_value !== 'number' || !Number.isFinite(logit_scale_init_value)) {
    throw new ModelConfigError(`${where}: logit_scale_init_value must be a number, got ${JSON.stringify(logit_scale_init_value)}`);
  }
  return { text, vision, projection_dim, logit_scale_init_value };
}

/** config.json as CLIPConfig.save_pretrained writes it (the fields ftlab uses), loadable by CLIPModel.from_pretrained. */
export function clipConfigJson(c: ClipConfig): Record<string, unknown> {
  const tower = (t: ClipTowerConfig) => ({
    attention_dropout: 0,
    dropout: 0,
    hidden_act: t.hidden_act,
    hidden_size: t.hidden_size,
    initializer_factor: 1,
    initializer_range: 0.02,
    intermediate_size: t.intermediate_size,
    layer_norm_eps: t.layer_norm_eps,
    num_attention_heads: t.num_attention_heads,
    num_hidden_layers: t.num_hidden_layers,
    projection_dim: c.projection_dim,
  });
  const { text: t, vision: v } = c;
  return {
    architectures: ['CLIPModel'],
    initializer_factor: 1,
    logit_scale_init_value: c.logit_scale_init_value,
    model_type: 'clip',
    projection_dim: c.projection_dim,
    text_config: {
      ...tower(t),
      bos_token_id: t.bos_token_id,
      eos_token_id: t.eos_token_id,
      max_position_embeddings: t.max_position_embeddings,
      model_type: 'clip_text_model',
      pad_token_id: t.pad_token_id,
      vocab_size: t.vocab_size,
    },
    torch_dtype: 'float32',
    transformers_version: '4.41.2',
    vision_config: {
      ...tower(v),
      image_size: v.image_size,
      model_type: 'clip_vision_model',
      num_channels: v.num_channels,
      patch_size: v.patch_size,
    },
  };
}
