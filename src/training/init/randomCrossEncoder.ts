import type { ModelFiles } from '../export/modelFiles.ts';
import { Rng } from '../random/rng.ts';
import { writeSafetensors, type TensorMap } from '../weights/safetensors.ts';

/** id2label / label2id as PretrainedConfig.save_pretrained writes them for `n` labels. */
export function defaultLabels(n: number): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    id2label[String(i)] = `LABEL_${i}`;
    label2id[`LABEL_${i}`] = i;
  }
  return { id2label, label2id };
}

/**
 * config.json of a cross-encoder: BertForSequenceClassification with `numLabels` logits. sentence-transformers
 * reads the activation from it; Identity means raw logits, as the MS MARCO cross-encoders (and GPL) use.
 */
export function crossEncoderConfigJson(base: Record<string, unknown>, numLabels: number): Record<string, unknown> {
  const config: Record<string, unknown> = { ...base, architectures: ['BertForSequenceClassification'], ...defaultLabels(numLabels) };
  config.sbert_ce_default_activation_function = 'torch.nn.modules.linear.Identity';
  config.sentence_transformers = { activation_fn: 'torch.nn.modules.linear.Identity' };
  return Object.fromEntries(
    Object.keys(config)
      .sort()
      .map((k) => [k, config[k]]),
  );
}

/** BertForSequenceClassification's state dict names: `bert.` + BertModel names, then the classifier. */
export function sequenceClassifierTensors(bert: TensorMap, classifier: { weight: Float32Array; bias: Float32Array }, hidden: number): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, t] of bert) out.set(`bert.${name}`, t);
  const labels = classifier.bias.length;
  out.set('classifier.weight', { shape: [labels, hidden], data: classifier.weight });
  out.set('classifier.bias', { shape: [labels], data: classifier.bias });
  return out;
}

export interface RandomHeadOptions {
  numLabels?: number;
  seed?: number;
  perturbAll?: boolean;
}

/**
 * The files of a random cross-encoder from a random BertModel: weights `bert.*` (pooler included) and
 * `classifier.*`. With perturbAll the pooler and classifier get N(0, 1/hidden) weights and random biases, so
 * logits are O(1) and parity tests see real differences between pairs (HF init gives logits near 0).
 */
export function sequenceClassifierFiles(
  rawConfig: Record<string, unknown>,
  bertWeights: TensorMap,
  tokenizer: Record<string, string>,
  opts: RandomHeadOptions,
): ModelFiles {
  const numLabels = opts.numLabels ?? 1;
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`numLabels must be a positive integer, got ${numLabels}`);
  const H = rawConfig.hidden_size as number;
  const rng = new Rng((opts.seed ?? 0) ^ 0x2c1a55);
  const std = opts.perturbAll ? 1 / Math.sqrt(H) : ((rawConfig.initializer_range as number | undefined) ?? 0.02);
  const normal = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const weights: TensorMap = new Map(bertWeights);
  if (opts.perturbAll) {
    weights.set('pooler.dense.weight', { shape: [H, H], data: normal(H * H, std) });
    weights.set('pooler.dense.bias', { shape: [H], data: normal(H, 0.1) });
  }
  const classifier = { weight: normal(numLabels * H, std), bias: opts.perturbAll ? normal(numLabels, 0.1) : new Float32Array(numLabels) };
  const files: ModelFiles = new Map();
  files.set('config.json', JSON.stringify(crossEncoderConfigJson(rawConfig, numLabels), null, 2) + '\n');
  for (const [name, text] of Object.entries(tokenizer)) files.set(name, text);
  files.set('model.safetensors', writeSafetensors(sequenceClassifierTensors(weights, classifier, H)));
  return files;
}
