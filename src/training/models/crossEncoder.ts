import * as tf from '@tensorflow/tfjs';
import { parseBertConfig } from './bert/bertConfig.ts';
import { SequenceClassifier } from './sequenceClassifier.ts';
import { loadTokenizer, type EncodedBatch, type TextTokenizer } from './tokenizer.ts';
import { readJson, type ModelSource } from '../source/modelSource.ts';
import { readSafetensors } from '../weights/safetensors.ts';
import { sequenceClassifierGraph } from '../export/sequenceClassifierOnnx.ts';
import { chooseOnnx, onnxRuntime } from '../inference/onnxRuntime.ts';
import { OnnxPairScorer } from '../inference/onnxPairScorer.ts';
import {
  checkLabel,
  crossEncoderLabels,
  resolveMaxLength,
  scoreInBatches,
  type CrossEncoder,
  type LoadCrossEncoderOptions,
  type ScoreOptions,
} from './crossEncoderContract.ts';

// the contract's types, for callers of loadCrossEncoder
export type { CrossEncoder, LoadCrossEncoderOptions, ScoreOptions } from './crossEncoderContract.ts';

/**
 * BertForSequenceClassification on ftlab's tfjs BERT. Scoring runs on onnxruntime when one is installed
 * (useOnnxRuntime: the CLI and the lab's wasm workers), over a graph of these weights built at the first score;
 * on tfjs otherwise, or when the graph cannot run (said once through onWarning). `engine` says which.
 */
export class TfjsCrossEncoder implements CrossEncoder {
  private ort: Promise<OnnxPairScorer | undefined> | undefined;
  private chosen: string | undefined;

  constructor(
    readonly id: string,
    readonly model: SequenceClassifier,
    readonly tokenizer: TextTokenizer,
    readonly modelConfig: Record<string, unknown>,
    readonly maxLength: number,
    readonly label: number,
    private readonly onWarning?: (message: string) => void,
  ) {}

  /** which engine scored ("onnxruntime-node cpu, 2 threads", "tfjs (…why)"); undefined before the first score */
  get engine(): string | undefined {
    return this.chosen;
  }

  private encode(a: string[], b: string[]): EncodedBatch {
    const batch = this.tokenizer.encodePairs(a, b, this.maxLength);
    const c = this.model.bert.config;
    for (const [name, arr, limit] of [
      ['input id', batch.inputIds, c.vocab_size],
      ['token type id', batch.tokenTypeIds, c.type_vocab_size],
    ] as const) {
      for (const v of arr)
        if (v < 0 || v >= limit) throw new Error(`${name} ${v} is outside the model's range 0..${limit - 1} (tokenizer and config.json disagree)`);
    }
    return batch;
  }

  private onnx(): Promise<OnnxPairScorer | undefined> {
    return (this.ort ??= chooseOnnx(
      onnxRuntime(),
      async (r) => OnnxPairScorer.open(r, await sequenceClassifierGraph(this.model), this.model.numLabels),
      'cross-encoder scoring',
      this.onWarning,
    ).then((c) => {
      this.chosen = c.engine;
      return c.onnx;
    }));
  }

  /** All logits [pairs, num_labels] of one batch on tfjs (no batching or sorting). */
  async logits(a: string[], b: string[]): Promise<Float32Array> {
    const batch = this.encode(a, b);
    const shape: [number, number] = [batch.batchSize, batch.seqLen];
    const x = {
      inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    };
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
      const ort = await this.onnx();
      const all = ort ? await ort.logits(this.encode(a, b)) : await this.logits(a, b);
      return Float32Array.from({ length: a.length }, (_, r) => all[r * n + this.label]!);
    });
  }

  dispose(): void {
    const ort = this.ort;
    this.ort = undefined;
    void ort?.then((s) => s?.release());
    this.model.dispose();
  }
}

async function loadTfjsCrossEncoder(source: ModelSource, opts: LoadCrossEncoderOptions): Promise<TfjsCrossEncoder> {
  const file = `${source.id}/config.json`;
  const raw = await readJson(source, 'config.json');
  const numLabels = crossEncoderLabels(raw, file);
  if (raw.model_type !== 'bert') {
    throw new Error(
      `${file}: model_type ${JSON.stringify(raw.model_type)} is not supported by the tfjs cross-encoder (only "bert"; try backend "onnx")`,
    );
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
  return new TfjsCrossEncoder(source.id, model, tokenizer, raw, maxLength, label, opts.onWarning);
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
