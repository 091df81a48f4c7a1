import * as tf from '@tensorflow/tfjs';
import { BertModel } from '../src/training/models/bert/bert.ts';
import { bertDefaults, type BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { l2normalize, pool } from '../src/training/models/pooling.ts';
import { cachedMnrlValueAndGrads } from '../src/training/losses/cachedMnrl.ts';
import { createLoss } from '../src/training/losses/registry.ts';
import type { TextEmbedder } from '../src/training/losses/loss.ts';
import type { TrainRow } from '../src/training/data/trainRows.ts';
import { Rng } from '../src/training/random/rng.ts';
import { syntheticBatch } from './textBench.ts';

/**
 * GradCache's memory claim, measured: peak tfjs tensor bytes (tf.profile) of one MNRL gradient at batch 16,
 * 32 and 256 against cached-mnrl at batch 256 with mini-batch 16, on the offline recipe's shape (2 layers,
 * 128 wide, seq 32; a MiniLM-L6 plain batch 256 would not fit this machine's bench budget). Also the step
 * times, since GradCache pays one extra forward per mini-batch.
 */
const config: BertConfig = {
  ...bertDefaults,
  vocab_size: 8000,
  hidden_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 512,
};

export interface GradCacheBenchResult {
  shape: { hidden: number; layers: number; seq: number };
  /** peak bytes and seconds per gradient */
  plain: Record<string, { peakMiB: number; seconds: number }>;
  cached: Record<string, { peakMiB: number; seconds: number }>;
  /** cached batch 256 / mini 16 peak over plain batch 32's (the target: ≤ 1) and over plain 256's */
  cached256VsPlain32: number;
  cached256VsPlain256: number;
  maxGradRelDiff: number;
}

/** An embedder over synthetic token ids: the text is the row index, so any batch slices the same inputs. */
function syntheticEmbedder(model: BertModel, seq: number, n: number): TextEmbedder {
  const rng = new Rng(3);
  const ids = syntheticBatch(rng, config, n, seq);
  const all = { ids: ids.inputIds.arraySync() as number[][], mask: ids.attentionMask.arraySync() as number[][] };
  tf.dispose([ids.inputIds, ids.attentionMask, ids.tokenTypeIds]);
  return {
    embedTexts(texts, opts) {
      const rows = texts.map((t) => Number(t));
      return tf.tidy(() => {
        const inputs = {
          inputIds: tf.tensor2d(
            rows.map((r) => all.ids[r]!),
            [rows.length, seq],
            'int32',
          ),
          attentionMask: tf.tensor2d(
            rows.map((r) => all.mask[r]!),
            [rows.length, seq],
            'int32',
          ),
          tokenTypeIds: tf.zeros([rows.length, seq], 'int32') as tf.Tensor2D,
        };
        return l2normalize(pool(model.forward(inputs, { training: opts.training, seed: opts.seed }), inputs.attentionMask, 'mean'));
      });
    },
  };
}

export async function runGradCacheBench(log: (m: string) => void = () => {}): Promise<GradCacheBenchResult> {
  const seq = 32;
  const model = BertModel.fromWeights(config, randomBertWeights(config, { seed: 5 }));
  const vars = [...model.trainableParams().values()];
  // texts are row numbers: queries 0..255, positives 256..511
  const embedder = syntheticEmbedder(model, seq, 512);
  const rowsOf = (b: number): TrainRow[] => Array.from({ length: b }, (_, i) => ({ query: String(i), positive: String(256 + i) }));
  const opts = { training: false, seed: 1 };
  const measure = async (f: () => tf.NamedTensorMap) => {
    let grads: tf.NamedTensorMap = {};
    const t = performance.now();
    const info = await tf.profile(() => {
      grads = f();
    });
    const seconds = (performance.now() - t) / 1000;
    return { peakMiB: info.peakBytes / 2 ** 20, seconds, grads };
  };
  const plainGrads = (b: number) => {
    const r = tf.variableGrads(() => createLoss('mnrl').compute(embedder, rowsOf(b), opts), vars);
    r.value.dispose();
    return r.grads;
  };
  const out: GradCacheBenchResult = {
    shape: { hidden: config.hidden_size, layers: config.num_hidden_layers, seq },
    plain: {},
    cached: {},
    cached256VsPlain32: 0,
    cached256VsPlain256: 0,
    maxGradRelDiff: 0,
  };
  let reference: tf.NamedTensorMap = {};
  for (const b of [16, 32, 256]) {
    const m = await measure(() => plainGrads(b));
    out.plain[`batch${b}`] = { peakMiB: m.peakMiB, seconds: m.seconds };
    log(`plain batch ${b}: peak ${m.peakMiB.toFixed(0)} MiB, ${m.seconds.toFixed(1)} s`);
    if (b === 256) reference = m.grads;
    else tf.dispose(Object.values(m.grads));
  }
  const c = await measure(() => {
    const r = cachedMnrlValueAndGrads(embedder, rowsOf(256), opts, vars, 16);
    r.value.dispose();
    return r.grads;
  });
  out.cached.batch256mini16 = { peakMiB: c.peakMiB, seconds: c.seconds };
  log(`cached batch 256 / mini 16: peak ${c.peakMiB.toFixed(0)} MiB, ${c.seconds.toFixed(1)} s`);
  let diff = 0;
  let scale = 0;
  for (const [k, g] of Object.entries(reference)) {
    const [x, y] = [c.grads[k]!.dataSync(), g.dataSync()];
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(y[i]!));
    }
  }
  tf.dispose([...Object.values(reference), ...Object.values(c.grads)]);
  model.dispose();
  out.maxGradRelDiff = diff / scale;
  out.cached256VsPlain32 = c.peakMiB / out.plain.batch32!.peakMiB;
  out.cached256VsPlain256 = c.peakMiB / out.plain.batch256!.peakMiB;
  return out;
}
