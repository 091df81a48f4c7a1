/**
 * What every cross-encoder backend shares (tfjs in crossEncoder.ts, transformers.js in crossEncoderOnnx.ts):
 * the scoring contract, label and length checks, and batched scoring with abort and progress.
 */
import { EncodeAbortedError } from './sentenceEncoder.ts';

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
    const scores = await run(
      idx.map((i) => pairs[i]![0]),
      idx.map((i) => pairs[i]![1]),
    );
    idx.forEach((i, r) => {
      out[i] = scores[r]!;
    });
    opts.onProgress?.(Math.min(start + batchSize, pairs.length), pairs.length);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return out;
}

/** The tfjs cross-encoder; `model`, `tokenizer` and `modelConfig` are what exportCrossEncoder writes back. */
