import * as tf from '@tensorflow/tfjs';
import { parseBertConfig } from './bert/bertConfig.ts';
import { SequenceClassifier } from './sequenceClassifier.ts';
import { EncodeAbortedError } from './sentenceEncoder.ts';
import { loadTokenizer, type EncodedBatch, type TextTokenizer } from './tokenizer.ts';
import { readJson, type ModelSource } from '../source/modelSource.ts';
import { readSafetensors } from '../weights/safetensors.ts';

export interface ScoreOptions {
  /** pairs per forward pass; default 32 */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A (query, document) relevance scorer: raw logits, one per pair, in input order. */
export interface CrossEncoder {
  readonly id: string;
  score(pairs: [string, string][], opts?: ScoreOptions): Promise<Float32Array>;
  dispose(): void;
}

export interface LoadCrossEncoderOptions {
  /** 'tfjs' (default): ftlab's BERT on model.safetensors; 'onnx': transformers.js on onnx/model.onnx */
  backend?: 'tfjs' | 'onnx';
  /**
   * which logit is the score when num_labels > 1; default 0. sentence-transformers' CrossEncoder returns every
   * logit then; GPL-style margins need one number, so pick the "relevant" class of a multi-class model here.
   */
  label?: number;
  /** overrides the maximum pair length (tokenizer_config model_max_length capped at 512 otherwise) */
  maxLength?: number;
  /** onnx backend: transformers.js dtype (default 'fp32') and device (default: transformers.js's choice) */
  dtype?: string;
  device?: string;
  onWarning?: (message: string) => void;
}

/** BERT's 512 positions: cross-encoders ship model_max_length 512 or the 1e30 "unset" sentinel. */
export const CROSS_ENCODER_MAX_LENGTH = 512;

/** Checks that config.json describes a sequence classifier; returns its number of logits. */
export function crossEncoderLabels(raw: Record<string, unknown>, file: string): number {
  const archs = Array.isArray(raw.architectures) ? (raw.architectures as unknown[]).map(String) : [];
  if (!archs.some((a) => a.endsWith('ForSequenceClassification'))) {
    const what = archs.length ? `architectures ${JSON.stringify(archs)}` : 'no "architectures"';
    throw new Error(
      `${file}: ${what}: not a cross-encoder (expected a *ForSequenceClassification model such as ` +
        `cross-encoder/ms-marco-MiniLM-L-6-v2; a sentence-transformers bi-encoder cannot score pairs)`,
    );
  }
  if (typeof raw.num_labels === 'number') return raw.num_labels;
  // transformers derives num_labels from id2label; PretrainedConfig's default is 2
  return raw.id2label && typeof raw.id2label === 'object' ? Object.keys(raw.id2label).length : 2;
}

export function checkLabel(label: number, numLabels: number, file: string): number {
  if (!Number.isInteger(label) || label < 0 || label >= numLabels) {
    throw new Error(`${file}: label ${label} is out of range (the model has ${numLabels} logit${numLabels === 1 ? '' : 's'})`);
  }
  return label;
}

export function resolveMaxLength(modelMax: number | undefined, positions: number | undefined, override?: number): number {
  const max = override ?? Math.min(modelMax ?? CROSS_ENCODER_MAX_LENGTH, CROSS_ENCODER_MAX_LENGTH);
  if (!Number.isInteger(max) || max < 3) throw new Error(`cross-encoder maxLength must be an integer >= 3, got ${max}`);
  return positions ? Math.min(max, positions) : max;
}

/**
 * Scores pairs in batches sorted by length (less padding), giving the event loop a turn between batches so
 * an abort can land. `run` returns the chosen logit per row of one batch.
 */
export async function scoreInBatches(
  pairs: [string, string][],
  opts: ScoreOptions,
  run: (a: string[], b: string[]) => Promise<Float32Array>,
): Promise<Float32Array> {
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`score: batchSize must be a positive integer, got ${batchSize}`);
  const len = (i: number) => pairs[i]![0].length + pairs[i]![1].length;
  const order = pairs.map((_, i) => i).sort((x, y) => len(x) - len(y));
  const out = new Float32Array(pairs.length);
  for (let start = 0; start < order.length; start += batchSize) {
    if (opts.signal?.aborted) {
      const reason = opts.signal.reason instanceof Error ? `: ${opts.signal.reason.message}` : '';
      throw new EncodeAbortedError(`scoring aborted after ${start} of ${pairs.length} pairs${reason}`);
    }
    const idx = order.slice(start, start + batchSize);
    const scores = await run(idx.map((i) => pairs[i]![0]), idx.map((i) => pairs[i]![1]));
    idx.forEach((i, r) => { out[i] = scores[r]!; });
    opts.onProgress?.(Math.min(start + batchSize, pairs.length), pairs.length);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return out;
}

/** The tfjs cross-encoder; `model`, `tokenizer` and `modelConfig` are what exportCrossEncoder writes back. */
export class TfjsCrossEncoder implements CrossEncoder {
  constructor(
    readonly id: string,
    readonly model: SequenceClassifier,
    readonly tokenizer: TextTokenizer,
    readonly modelConfig: Record<string, unknown>,
    readonly maxLength: number,
    readonly label: number,
  ) {}

  private inputs(batch: EncodedBatch) {
    const c = this.model.bert.config;
    for (const [name, arr, limit] of [['input id', batch.inputIds, c.vocab_size], ['token type id', batch.tokenTypeIds, c.type_vocab_size]] as const) {
      for (const v of arr) if (v < 0 || v >= limit) throw new Error(`${name} ${v} is outside the model's range 0..${limit - 1} (tokenizer and config.json disagree)`);
    }
    const shape: [number, number] = [batch.batchSize, batch.seqLen];
    return {
      inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    };
  }

  /** All logits [pairs, num_labels] of one batch (no batching or sorting). */
  async logits(a: string[], b: string[]): Promise<Float32Array> {
    const x = this.inputs(this.tokenizer.encodePairs(a, b, this.maxLength));
    try {
      const out = this.model.logits(x);
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    } finally {
      tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);
    }
  }

  score(pairs: [string, string][], opts: ScoreOptions = {}): Promise<Float32Array> {
    const n = this.model.numLabels;
    return scoreInBatches(pairs, opts, async (a, b) => {
      const all = await this.logits(a, b);
      return Float32Array.from({ length: a.length }, (_, r) => all[r * n + this.label]!);
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

async function loadTfjsCrossEncoder(source: ModelSource, opts: LoadCrossEncoderOptions): Promise<TfjsCrossEncoder> {
  const file = `${source.id}/config.json`;
  const raw = await readJson(source, 'config.json');
  const numLabels = crossEncoderLabels(raw, file);
  if (raw.model_type !== 'bert') {
    throw new Error(`${file}: model_type ${JSON.stringify(raw.model_type)} is not supported by the tfjs cross-encoder (only "bert"; try backend "onnx")`);
  }
  const config = parseBertConfig(raw, file);
  const label = checkLabel(opts.label ?? 0, numLabels, file);
  if (!(await source.exists('model.safetensors'))) {
    throw new Error(`${source.id}: model.safetensors not found (the tfjs cross-encoder reads safetensors; an ONNX-only model needs backend "onnx")`);
  }
  const weightsFile = `${source.id}/model.safetensors`;
  const tensors = readSafetensors(await source.readBytes('model.safetensors'), { source: weightsFile, onWarning: opts.onWarning });
  const tokenizer = await loadTokenizer(source);
  const { model, unused } = SequenceClassifier.fromTensors(config, tensors, weightsFile);
  const reported = unused.filter((n) => !/(^|\.)position_ids$/.test(n));
  if (reported.length) opts.onWarning?.(`${weightsFile}: ignored ${reported.length} tensor(s): ${reported.slice(0, 5).join(', ')}`);
  if (model.numLabels !== numLabels) {
    model.dispose();
    throw new Error(`${weightsFile}: classifier has ${model.numLabels} outputs but ${file} says num_labels ${numLabels}`);
  }
  const maxLength = resolveMaxLength(tokenizer.modelMaxLength, config.max_position_embeddings, opts.maxLength);
  return new TfjsCrossEncoder(source.id, model, tokenizer, raw, maxLength, label);
}

/**
 * Loads a cross-encoder (BertForSequenceClassification for tfjs; any transformers.js sequence classifier for
 * onnx). The onnx backend hands `source.id` to transformers.js, so it must be a Hub id or an absolute folder
 * path (what resolveModelSource gives in Node); Hub downloads follow transformers.js's `env`.
 */
export async function loadCrossEncoder(source: ModelSource, opts: LoadCrossEncoderOptions = {}): Promise<CrossEncoder> {
  const backend = opts.backend ?? 'tfjs';
  if (backend === 'tfjs') return loadTfjsCrossEncoder(source, opts);
  if (backend === 'onnx') {
    const { loadOnnxCrossEncoder } = await import('./crossEncoderOnnx.ts');
    return loadOnnxCrossEncoder(source.id, opts);
  }
  throw new Error(`unknown cross-encoder backend "${backend as string}" (use tfjs or onnx)`);
}
