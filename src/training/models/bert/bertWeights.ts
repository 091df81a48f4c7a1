import type { BertConfig } from './bertConfig.ts';
import type { TensorMap } from '../../weights/safetensors.ts';

export type ParamKind = 'embedding' | 'linear' | 'bias' | 'layernorm';

export interface ParamSpec {
  /** bare Hugging Face BertModel name, e.g. `encoder.layer.0.attention.self.query.weight` */
  name: string;
  shape: number[];
  kind: ParamKind;
}

/** Every parameter of a Hugging Face BertModel (with pooler), linear weights as [out, in]. */
export function bertParamSpecs(c: BertConfig): ParamSpec[] {
  const H = c.hidden_size;
  const I = c.intermediate_size;
  const specs: ParamSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [c.vocab_size, H], kind: 'embedding' },
    { name: 'embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, H], kind: 'embedding' },
    { name: 'embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, H], kind: 'embedding' },
    { name: 'embeddings.LayerNorm.weight', shape: [H], kind: 'layernorm' },
    { name: 'embeddings.LayerNorm.bias', shape: [H], kind: 'bias' },
  ];
  const linear = (name: string, out: number, inp: number) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], kind: 'linear' }, { name: `${name}.bias`, shape: [out], kind: 'bias' });
  };
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [H], kind: 'layernorm' }, { name: `${name}.bias`, shape: [H], kind: 'bias' });
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    norm(`${p}.output.LayerNorm`);
  }
  linear('pooler.dense', H, H);
  return specs;
}

/**
 * Maps checkpoint names onto bare BertModel names: strips `bert.` / `model.` prefixes and renames the
 * legacy TF-style `LayerNorm.gamma/beta`. Returns the names of tensors that were not used.
 */
export function normalizeBertNames(raw: TensorMap, c: BertConfig, source = 'model.safetensors'): { weights: TensorMap; unused: string[] } {
  const wanted = new Map(bertParamSpecs(c).map((s) => [s.name, s]));
  const weights: TensorMap = new Map();
  const unused: string[] = [];
  for (const [name, t] of raw) {
    const bare = name
      .replace(/^(bert|model)\./, '')
      .replace(/\.gamma$/, '.weight')
      .replace(/\.beta$/, '.bias');
    const spec = wanted.get(bare);
    if (!spec) {
      unused.push(name);
      continue;
    }
    if (spec.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`${source}: tensor "${name}" has shape [${t.shape}] but the config needs [${spec.shape}]`);
    }
    weights.set(bare, t);
  }
  const missing = [...wanted.keys()].filter((n) => !weights.has(n) && !n.startsWith('pooler.'));
  if (missing.length)
    throw new Error(`${source}: missing tensor(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  return { weights, unused };
}
