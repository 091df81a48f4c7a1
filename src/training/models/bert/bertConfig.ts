/** Hugging Face BertConfig fields ftlab uses, with BertConfig's own defaults. */
export interface BertConfig {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  initializer_range: number;
  position_embedding_type: 'absolute';
}

export const bertDefaults: BertConfig = {
  model_type: 'bert',
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
  position_embedding_type: 'absolute',
};

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

/** Reads a parsed config.json; `source` names the file in errors. Unknown keys are kept by the caller. */
export function parseBertConfig(raw: Record<string, unknown>, source = 'config.json'): BertConfig {
  const cfg = { ...bertDefaults, ...raw } as BertConfig;
  const acts = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];
  if (!acts.includes(cfg.hidden_act)) {
    throw new ModelConfigError(`${source}: hidden_act "${cfg.hidden_act}" is not supported (use one of ${acts.join(', ')})`);
  }
  if ((cfg.position_embedding_type ?? 'absolute') !== 'absolute') {
    throw new ModelConfigError(`${source}: position_embedding_type "${cfg.position_embedding_type}" is not supported (only "absolute")`);
  }
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0)
      throw new ModelConfigError(`${source}: ${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  }
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new ModelConfigError(`${source}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  return cfg;
}
