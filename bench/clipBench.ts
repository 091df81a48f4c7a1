import * as tf from '@tensorflow/tfjs';
import { parseClipConfig, type ClipConfig } from '../src/training/models/clip/clipConfig.ts';
import { ClipModel } from '../src/training/models/clip/clipModel.ts';
import { clipTextInputs } from '../src/training/models/clip/clipTextInputs.ts';
import { randomClipWeights } from '../src/training/init/randomClip.ts';
import { clipLossFromEmbeddings } from '../src/training/losses/clipLoss.ts';
import { AdamW } from '../src/training/optim/adamw.ts';
import { Rng } from '../src/training/random/rng.ts';
import { median } from './textBench.ts';

/**
 * CLIP shapes. TinyCLIP-ViT-8M-16-Text-3M (the size the issue names for browsers), as its name and model card
 * describe it (no Hub access here to read its config.json): ViT 256 wide, 10 layers, 16-pixel patches on 224
 * images; text 256 wide, 3 layers; 512-d embeddings. Random weights: speed does not depend on their values.
 */
export const tinyClip8m: Record<string, unknown> = {
  model_type: 'clip',
  projection_dim: 512,
  text_config: {
    vocab_size: 49408,
    hidden_size: 256,
    intermediate_size: 1024,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    max_position_embeddings: 77,
  },
  vision_config: { hidden_size: 256, intermediate_size: 1024, num_hidden_layers: 10, num_attention_heads: 4, image_size: 224, patch_size: 16 },
};
export const quickClip: Record<string, unknown> = {
  model_type: 'clip',
  projection_dim: 64,
  text_config: {
    vocab_size: 1000,
    hidden_size: 64,
    intermediate_size: 256,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    max_position_embeddings: 77,
    bos_token_id: 998,
    eos_token_id: 999,
    pad_token_id: 999,
  },
  vision_config: { hidden_size: 64, intermediate_size: 256, num_hidden_layers: 2, num_attention_heads: 4, image_size: 64, patch_size: 16 },
};

export interface ClipBenchOptions {
  /** a tfjs backend, or 'onnx' for the onnxruntime-node baseline (bench/clipOnnxBench.ts) */
  backend: string;
  quick: boolean;
  /** image-text pairs per train step and images per encode batch (the kata preset trains with 8) */
  batch: number;
  /** tokens per text (CLIP pads to at most 77) */
  seq: number;
  encodeBatches: number;
  trainSteps: number;
  seed: number;
  log: (m: string) => void;
  onPartial?: (r: ClipBenchResult) => void;
}

export interface ClipBenchResult {
  backend: string;
  shape: string;
  batch: number;
  encodeImages?: { warmupMs: number; batchesMs: number[]; imagesPerSec: number };
  trainStep?: { firstMs: number; stepsMs: number[]; medianMs: number; pairsPerSec: number };
}

export function syntheticPixels(rng: Rng, c: ClipConfig, B: number): Float32Array {
  const S = c.vision.image_size;
  return Float32Array.from({ length: B * 3 * S * S }, () => rng.normal());
}

/** Token ids <bos> w1 .. wk <eos> with random lengths, padded with eos like CLIP's tokenizer. */
function syntheticTexts(rng: Rng, c: ClipConfig, B: number, S: number) {
  const t = c.text;
  const inputIds = new Int32Array(B * S).fill(t.eos_token_id);
  const attentionMask = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    const len = 3 + rng.int(S - 2);
    inputIds[b * S] = t.bos_token_id;
    for (let s = 1; s < len - 1; s++) inputIds[b * S + s] = rng.int(Math.min(t.vocab_size - 2, 40000));
    attentionMask.fill(1, b * S, b * S + len);
  }
  return clipTextInputs({ inputIds, attentionMask, tokenTypeIds: new Int32Array(B * S), batchSize: B, seqLen: S }, t);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The benchmarked model, its random weights and one batch of pixels (the same for every backend and the baseline). */
export function clipBenchSetup(o: Pick<ClipBenchOptions, 'quick' | 'seed' | 'batch'>) {
  const config = parseClipConfig(o.quick ? quickClip : tinyClip8m, o.quick ? 'quick CLIP' : 'TinyCLIP-8M/16 shape');
  const rng = new Rng(o.seed);
  return {
    config,
    weights: randomClipWeights(config, { seed: o.seed }),
    rng,
    pixelsData: syntheticPixels(rng, config, o.batch),
    shape: o.quick ? 'quick' : 'TinyCLIP-ViT-8M-16-Text-3M',
  };
}

/** Times one warm-up call and `encodeBatches` timed calls of `run`, each embedding `batch` images. */
export async function timeImageBatches(o: Pick<ClipBenchOptions, 'batch' | 'encodeBatches'>, run: () => Promise<void>) {
  let t = performance.now();
  await run();
  const warmupMs = performance.now() - t;
  const batchesMs: number[] = [];
  for (let i = 0; i < o.encodeBatches; i++) {
    t = performance.now();
    await run();
    batchesMs.push(performance.now() - t);
  }
  return { warmupMs, batchesMs, imagesPerSec: (o.batch * batchesMs.length * 1000) / sum(batchesMs) };
}

/** tfjs on the active backend: image embeddings/s and a CLIP-loss train step (forward, backward, AdamW, clamp). */
export async function runClipBench(o: ClipBenchOptions): Promise<ClipBenchResult> {
  const { config, weights, rng, pixelsData, shape } = clipBenchSetup(o);
  const S = config.vision.image_size;
  const result: ClipBenchResult = { backend: o.backend, shape, batch: o.batch };
  const model = ClipModel.fromWeights(config, weights);
  const pixels = tf.tensor4d(pixelsData, [o.batch, 3, S, S]);
  try {
    result.encodeImages = await timeImageBatches(o, async () => {
      const e = model.imageFeatures(pixels, { training: false });
      await e.data();
      e.dispose();
    });
    o.log(`tfjs ${o.backend} ${result.encodeImages.imagesPerSec.toFixed(1)} images/s`);
    o.onPartial?.(result);
    const text = syntheticTexts(rng, config, o.batch, o.seq);
    const params = model.trainableParams();
    const opt = new AdamW(params, { weightDecay: 0.1 });
    const stepsMs: number[] = [];
    let firstMs = 0;
    for (let i = 0; i <= o.trainSteps; i++) {
      const t = performance.now();
      const { value, grads } = tf.variableGrads(
        () => clipLossFromEmbeddings(model.textFeatures(text, { training: true }), model.imageFeatures(pixels, { training: true }), model.logitScale),
        [...params.values()],
      );
      await value.data();
      const byName = new Map([...params].map(([n, v]) => [n, grads[v.name]!]));
      opt.step(byName, 1e-5);
      tf.dispose([value, ...Object.values(grads)]);
      model.clampLogitScale();
      const ms = performance.now() - t;
      if (i === 0) firstMs = ms;
      else stepsMs.push(ms);
      o.log(`train step ${i} ${ms.toFixed(0)} ms`);
    }
    opt.dispose();
    tf.dispose([text.inputIds, text.attentionMask, text.eosOneHot]);
    result.trainStep = { firstMs, stepsMs, medianMs: median(stepsMs), pairsPerSec: (o.batch * 1000) / median(stepsMs) };
    return result;
  } finally {
    pixels.dispose();
    model.dispose();
  }
}
