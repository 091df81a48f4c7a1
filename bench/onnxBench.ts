import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { buildBertOnnx } from '../src/training/export/bertOnnx.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { Rng } from '../src/training/random/rng.ts';
import { median, syntheticBatch } from './textBench.ts';

export interface OnnxBenchResult {
  backend: 'onnxruntime-node';
  exportMs: number;
  modelBytes: number;
  encode: { warmupMs: number; batchesMs: number[]; textsPerSec: number; medianBatchMs: number };
}

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
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
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
  const encode = async (i: number) => {
    const s = performance.now();
    const out = await session.run(feeds[i % 2]!, ['sentence_embedding']);
    const e = out.sentence_embedding!;
    if (e.dims[0] !== o.batch || !Number.isFinite((e.data as Float32Array)[0]!)) throw new Error(`onnx: bad sentence_embedding ${e.dims}`);
    return performance.now() - s;
  };
  const warmupMs = await encode(0);
  const batchesMs: number[] = [];
  for (let i = 0; i < o.encodeBatches; i++) batchesMs.push(await encode(i));
  await session.release();
  const total = batchesMs.reduce((a, b) => a + b, 0);
  const textsPerSec = (o.batch * batchesMs.length * 1000) / total;
  log(`onnx encode ${textsPerSec.toFixed(1)} texts/s`);
  return {
    backend: 'onnxruntime-node',
    exportMs,
    modelBytes: bytes.length,
    encode: { warmupMs, batchesMs, textsPerSec, medianBatchMs: median(batchesMs) },
  };
}
