import * as tf from '@tensorflow/tfjs';
import { countsBetween, type WebGpuCounter, type WebGpuCounts } from '../src/workers/webgpuCounters.ts';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { bertDefaults, type BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { BertModel, type BertInputs } from '../src/training/models/bert/bert.ts';
import { l2normalize, pool } from '../src/training/models/pooling.ts';
import { mnrlFromEmbeddings } from '../src/training/losses/mnrl.ts';
import type { Optimizer } from '../src/training/optim/adamw.ts';
import { createAdamW } from '../src/training/optim/createAdamW.ts';
import { fusedKernelsActive } from '../src/training/nn/webgpu/gpuProgram.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { Rng } from '../src/training/random/rng.ts';

/**
 * The text-model benchmark body, shared by Node (bench/nodeBench.ts) and the browser page (bench/browser/benchPage.ts):
 * the real BertModel + mean pooling + MNRL + AdamW code path on a MiniLM-L6-shaped random BERT.
 * No node:* imports here. Every timed region ends with an async readback, so GPU backends are measured to completion.
 */

/** sentence-transformers/all-MiniLM-L6-v2's shape */
export const miniLmConfig: BertConfig = {
  ...bertDefaults,
  vocab_size: 30522,
  hidden_size: 384,
  num_hidden_layers: 6,
  num_attention_heads: 12,
  intermediate_size: 1536,
};

/** for `--quick` smoke runs */
export const quickConfig: BertConfig = {
  ...bertDefaults,
  vocab_size: 1000,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
};

export interface TextBenchOptions {
  config: BertConfig;
  batch: number;
  seq: number;
  /** timed train steps (after one warm-up step) */
  trainSteps: number;
  /**
   * train steps timed back to back the way the training loop runs them on a pipelined optimizer
   * (WebGpuAdamW): step n+1 is built before step n's loss is read; 0 or unset skips it
   */
  pipelinedSteps?: number;
  /** timed encode batches (after one warm-up batch) */
  encodeBatches: number;
  /** soft budget: fewer timed repetitions are run when the warm-ups show they would not fit */
  budgetMs: number;
  seed: number;
  lr?: number;
  log?: (msg: string) => void;
  /** called with the result so far after each measurement, so a run killed at its hard budget still reports them */
  onPartial?: (r: TextBenchResult) => void;
  /** WebGPU pages: counts dispatches, readbacks, uploads, pipelines and GPU bytes per measured call */
  gpuCounter?: WebGpuCounter;
}

/** What one call cost the GPU: the warm-up (shader compilation) and a steady repetition. */
export interface GpuCallCounts {
  warmup?: WebGpuCounts;
  steady?: WebGpuCounts;
}

export interface TextBenchResult {
  backend: string;
  /** compute threads (wasm: the XNNPACK pool) */
  threads: number;
  params: number;
  train:
    | { warmupMs: number; stepsMs: number[]; medianMs: number; loss: number; pipelined?: { steps: number; meanMs: number } }
    | { error: string; warmupMs?: number };
  encode: { warmupMs: number; batchesMs: number[]; textsPerSec: number } | { error: string; warmupMs?: number };
  /** WebGPU only: per train step and per encode batch */
  gpu?: { trainStep?: GpuCallCounts; encodeBatch?: GpuCallCounts };
  /** tensors left after the run minus before (0 = no leak) */
  leakedTensors: number;
  totalMs: number;
}

/** [CLS] random word ids [SEP] [PAD]...: lengths between seq/2 and seq, so masking and padding are exercised. */
export function syntheticBatch(rng: Rng, config: BertConfig, batch: number, seq: number): BertInputs {
  const ids = new Int32Array(batch * seq);
  const mask = new Int32Array(batch * seq);
  const lo = Math.min(1000, config.vocab_size - 1);
  for (let b = 0; b < batch; b++) {
    const len = Math.max(2, seq - rng.int(Math.floor(seq / 2) + 1));
    for (let s = 0; s < len; s++) {
      ids[b * seq + s] = s === 0 ? 101 % config.vocab_size : s === len - 1 ? 102 % config.vocab_size : lo + rng.int(config.vocab_size - lo);
      mask[b * seq + s] = 1;
    }
  }
  return {
    inputIds: tf.tensor2d(ids, [batch, seq], 'int32'),
    attentionMask: tf.tensor2d(mask, [batch, seq], 'int32'),
    tokenTypeIds: tf.zeros([batch, seq], 'int32'),
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const disposeInputs = (x: BertInputs) => tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);

/** Runs encode then train on the current tfjs backend. */
export async function runTextBench(o: TextBenchOptions): Promise<TextBenchResult> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const before = tf.memory().numTensors;
  const rng = new Rng(o.seed);
  const model = BertModel.fromWeights(o.config, randomBertWeights(o.config, { seed: o.seed }));
  const params = model.trainableParams();
  const names = [...params.keys()];
  const byVar = new Map(names.map((n) => [params.get(n)!.name, n]));
  const last = params.get(names[names.length - 1]!)!;
  const nParams = [...model.params.values()].reduce((s, v) => s + v.size, 0);
  const left = () => o.budgetMs - (performance.now() - t0);
  const reps = (wanted: number, warmupMs: number, share: number) =>
    Math.max(1, Math.min(wanted, Math.floor((left() * share) / Math.max(warmupMs, 1))));
  const result: TextBenchResult = {
    backend: tf.getBackend(),
    threads: tf.getBackend() === 'wasm' ? getThreadsCount() : 1,
    params: nParams,
    train: { error: 'not run' },
    encode: { error: 'not run' },
    leakedTensors: 0,
    totalMs: 0,
  };

  const encodeOnce = async (x: BertInputs) => {
    const e = tf.tidy(() => l2normalize(pool(model.forward(x, { training: false }), x.attentionMask, 'mean')));
    await e.data();
    e.dispose();
  };
  let optimizer: Optimizer | null = null;
  // queues one step; the promise is its read-back result
  const submitStep = (a: BertInputs, p: BertInputs, step: number) => {
    const { value, grads } = tf.variableGrads(
      () => {
        const ea = pool(model.forward(a, { training: true, seed: 2 * step }), a.attentionMask, 'mean');
        const ep = pool(model.forward(p, { training: true, seed: 2 * step + 1 }), p.attentionMask, 'mean');
        return mnrlFromEmbeddings(ea, ep, null, 20);
      },
      names.map((n) => params.get(n)!),
    );
    optimizer ??= createAdamW(params);
    const pending = optimizer.update(new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k) ?? k, g])), value, o.lr ?? 2e-5, 1);
    // a pipelined optimizer has copied them when update() returns; the others read them until it settles
    const release = () => tf.dispose([value, ...Object.values(grads)]);
    if (optimizer.pipelined) release();
    else void pending.then(release, release);
    return pending;
  };
  const trainOnce = async (a: BertInputs, p: BertInputs, step: number) => {
    const { loss } = await submitStep(a, p, step);
    // the fused update's readback already follows the update; tfjs ops' read comes before it
    if (!fusedKernelsActive()) await last.data();
    return loss;
  };

  const time = async (f: () => Promise<unknown>) => {
    const s = performance.now();
    await f();
    return performance.now() - s;
  };
  const counter = o.gpuCounter;
  // counts of the call `f`, kept under `key` as its warm-up or its steady repetition
  const counted = async (key: 'trainStep' | 'encodeBatch', phase: keyof GpuCallCounts, f: () => Promise<unknown>) => {
    if (!counter) return time(f);
    counter.resetPeak();
    const before = counter.snapshot();
    const ms = await time(f);
    ((result.gpu ??= {})[key] ??= {})[phase] = countsBetween(before, counter.snapshot());
    return ms;
  };
  const x = syntheticBatch(rng, o.config, o.batch, o.seq);
  const y = syntheticBatch(rng, o.config, o.batch, o.seq);
  try {
    try {
      const warmupMs = await counted('encodeBatch', 'warmup', () => encodeOnce(x));
      log(`encode warm-up ${warmupMs.toFixed(0)} ms`);
      // the warm-up (kernel compilation included) bounds throughput from below if the budget ends before a timed batch
      result.encode = { error: 'killed at the budget before a timed batch finished', warmupMs };
      o.onPartial?.(result);
      const batchesMs: number[] = [];
      for (let i = 0, n = reps(o.encodeBatches, warmupMs, 0.25); i < n; i++)
        batchesMs.push(await counted('encodeBatch', 'steady', () => encodeOnce(i % 2 ? y : x)));
      const total = batchesMs.reduce((s, v) => s + v, 0);
      result.encode = { warmupMs, batchesMs, textsPerSec: (o.batch * batchesMs.length * 1000) / total };
      log(`encode ${result.encode.textsPerSec.toFixed(1)} texts/s`);
      o.onPartial?.(result);
    } catch (e) {
      result.encode = { error: String(e) };
    }
    try {
      let loss = 0;
      const warmupMs = await counted('trainStep', 'warmup', async () => void (loss = await trainOnce(x, y, 0)));
      log(`train warm-up ${warmupMs.toFixed(0)} ms (loss ${loss.toFixed(4)})`);
      const stepsMs: number[] = [];
      result.train = { error: 'killed at the budget before a timed step finished', warmupMs };
      o.onPartial?.(result);
      for (let i = 0, n = reps(o.trainSteps, warmupMs, 0.9); i < n; i++) {
        stepsMs.push(await counted('trainStep', 'steady', async () => void (loss = await trainOnce(i % 2 ? y : x, i % 2 ? x : y, i + 1))));
        log(`train step ${i + 1}/${n} ${stepsMs[i]!.toFixed(0)} ms`);
        o.onPartial?.({ ...result, train: { warmupMs, stepsMs, medianMs: median(stepsMs), loss } });
      }
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
      result.train = { warmupMs, stepsMs, medianMs: median(stepsMs), loss };
      const n = Math.min(o.pipelinedSteps ?? 0, reps(o.pipelinedSteps ?? 0, median(stepsMs), 0.9));
      if ((optimizer as Optimizer | null)?.pipelined && n > 1) {
        const s0 = performance.now();
        let previous: Promise<{ loss: number }> | undefined;
        for (let i = 0; i < n; i++) {
          const current = submitStep(i % 2 ? y : x, i % 2 ? x : y, stepsMs.length + 1 + i);
          if (previous) loss = (await previous).loss;
          previous = current;
        }
        loss = (await previous!).loss;
        result.train.pipelined = { steps: n, meanMs: (performance.now() - s0) / n };
        log(`train, ${n} pipelined steps: ${result.train.pipelined.meanMs.toFixed(0)} ms each`);
      }
    } catch (e) {
      result.train = { error: String(e) };
    }
  } finally {
    disposeInputs(x);
    disposeInputs(y);
    (optimizer as Optimizer | null)?.dispose();
    model.dispose();
  }
  result.leakedTensors = tf.memory().numTensors - before;
  result.totalMs = performance.now() - t0;
  return result;
}
