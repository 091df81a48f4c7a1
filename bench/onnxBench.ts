import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { buildBertOnnx } from '../src/training/export/bertOnnx.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { Rng } from '../src/training/random/rng.ts';
import { median, syntheticBatch } from './textBench.ts';
import { onnxVariant, type OnnxDtype } from '../src/training/export/onnxVariants.ts';

export interface OnnxBenchResult {
  backend: 'onnxruntime-node';
  exportMs: number;
  modelBytes: number;
  encode: { warmupMs: number; batchesMs: number[]; textsPerSec: number; medianBatchMs: number };
  /**
   * ftlab export's smaller graphs (export/onnxVariants.ts) on the same batches: file size, texts/s and
   * the mean and worst cosine of their sentence embeddings to float32's
   */
  variants: Partial<Record<OnnxDtype, { modelBytes: number; textsPerSec: number; meanCosine: number; minCosine: number }>>;
}

const VARIANTS = ['q8', 'int8', 'fp16'] as const;

/** The baseline: the same random model exported by ftlab's own ONNX exporter, encoded with onnxruntime-node (CPU EP). */
export async function runOnnxBench(o: {
  config: BertConfig;
  batch: number;
  seq: number;
  encodeBatches: number;
  seed: number;
  log?: (m: string) => void;
}): Promise<OnnxBenchResult> {
  const log = o.log ?? (() => {});
  const t = performance.now();
  const bytes = buildBertOnnx(o.config, randomBertWeights(o.config, { seed: o.seed }), { maxSeqLength: o.seq, pooling: 'mean', normalize: true });
  const exportMs = performance.now() - t;
  log(`onnx export ${exportMs.toFixed(0)} ms, ${(bytes.length / 1e6).toFixed(1)} MB`);
  // same token batches as the tfjs runs (same seed and generator)
  const rng = new Rng(o.seed);
  const feeds = [0, 1].map(() => {
    const x = syntheticBatch(rng, o.config, o.batch, o.seq);
    const i64 = (tt: tf.Tensor) =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(tt.dataSync() as Int32Array, (v) => BigInt(v)),
        [o.batch, o.seq],
      );
    const feed = { input_ids: i64(x.inputIds), attention_mask: i64(x.attentionMask), token_type_ids: i64(x.tokenTypeIds) };
    tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);
    return feed;
  });
  const fp32 = await timeGraph(bytes, feeds, o.batch, o.encodeBatches);
  log(`onnx encode ${fp32.textsPerSec.toFixed(1)} texts/s`);
  const variants: OnnxBenchResult['variants'] = {};
  for (const dtype of VARIANTS) {
    const graph = onnxVariant(bytes, dtype);
    const v = await timeGraph(graph, feeds, o.batch, o.encodeBatches);
    const cos = v.embeddings.flatMap((e, k) => rowCosines(e, fp32.embeddings[k]!, o.config.hidden_size));
    const meanCosine = cos.reduce((a, b) => a + b, 0) / cos.length;
    variants[dtype] = { modelBytes: graph.length, textsPerSec: v.textsPerSec, meanCosine, minCosine: Math.min(...cos) };
    log(`onnx ${dtype}: ${(graph.length / 1e6).toFixed(1)} MB, ${v.textsPerSec.toFixed(1)} texts/s, cosine to fp32 mean ${meanCosine.toFixed(5)}`);
  }
  const { warmupMs, batchesMs, textsPerSec } = fp32;
  return {
    backend: 'onnxruntime-node',
    exportMs,
    modelBytes: bytes.length,
    encode: { warmupMs, batchesMs, textsPerSec, medianBatchMs: median(batchesMs) },
    variants,
  };
}

type Feeds = Record<string, ort.Tensor>[];

/** One session over `graph`: a warm-up, then `batches` timed runs alternating the two feeds. */
async function timeGraph(graph: Uint8Array, feeds: Feeds, batch: number, batches: number) {
  const session = await ort.InferenceSession.create(graph, { graphOptimizationLevel: 'all' });
  const embeddings: Float32Array[] = [];
  const encode = async (i: number) => {
    const s = performance.now();
    const out = await session.run(feeds[i % 2]!, ['sentence_embedding']);
    const e = out.sentence_embedding!;
    if (e.dims[0] !== batch || !Number.isFinite((e.data as Float32Array)[0]!)) throw new Error(`onnx: bad sentence_embedding ${e.dims}`);
    if (embeddings.length < 2) embeddings.push(e.data as Float32Array);
    return performance.now() - s;
  };
  try {
    const warmupMs = await encode(0);
    const batchesMs: number[] = [];
    for (let i = 0; i < batches; i++) batchesMs.push(await encode(i + 1));
    const total = batchesMs.reduce((a, b) => a + b, 0);
    // embeddings[k] is feeds[k]'s: the warm-up ran feed 0, the first timed run feed 1
    return { warmupMs, batchesMs, textsPerSec: (batch * batchesMs.length * 1000) / total, embeddings };
  } finally {
    await session.release();
  }
}

function rowCosines(a: Float32Array, b: Float32Array, dim: number): number[] {
  return Array.from({ length: a.length / dim }, (_, r) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < dim; i++) {
      dot += a[r * dim + i]! * b[r * dim + i]!;
      na += a[r * dim + i]! ** 2;
      nb += b[r * dim + i]! ** 2;
    }
    return dot / Math.sqrt(na * nb);
  });
}
