/**
 * A rough time and memory estimate for fine-tuning a BERT-shaped model in the browser, and the refusal of a
 * model that cannot fit the device, made before anything is downloaded (only config.json is needed).
 *
 * Memory: fp32 weights + gradients + AdamW m and v (16 bytes per parameter), plus activations. Training uses
 * gradient checkpointing per layer (models/checkpointedLayer.ts), so it keeps one [texts, seq, hidden] input
 * per layer plus one layer's full activations (attention scores [texts, heads, seq, seq], the intermediate
 * [texts, seq, intermediate], ~10 hidden-sized tensors), doubled for their gradients.
 * Largest buffer: WebGPU refuses a storage binding above adapter.limits.maxStorageBufferBindingSize
 * (128 MiB by default), so the biggest single tensor decides whether a model can run there at all.
 * Time: ~8 × parameters × tokens FLOPs per step (forward 2, backward 4, checkpoint recompute 2) plus attention,
 * divided by a per-backend sustained rate. The rates are deliberately conservative defaults (measured
 * orders of magnitude, not a benchmark of the user's machine); pass `flopsPerSecond` to calibrate.
 */
import type { BackendName, Estimate, EstimateRequest, ModelShape } from './api/labApi.ts';

export interface DeviceLimits {
  backend: BackendName;
  /** WebGPU adapter limits */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** bytes training may use; default per backend (wasm: the 4 GiB wasm32 heap minus headroom) */
  memoryBudgetBytes?: number;
  /** sustained FLOP/s for training kernels; default per backend */
  flopsPerSecond?: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const defaultMemoryBudget: Record<BackendName, number> = { webgpu: 4 * GiB, webgl: 2 * GiB, wasm: 3.5 * GiB, cpu: 2 * GiB };
export const defaultFlops: Record<BackendName, number> = { webgpu: 2e11, webgl: 5e10, wasm: 1e10, cpu: 5e8 };

/** BERT parameter count (embeddings, encoder layers, pooler). */
export function bertParameters(m: ModelShape, positions = Math.max(512, m.maxSeqLength), typeVocab = 2): number {
  const H = m.hidden;
  const I = m.intermediate;
  const embeddings = (m.vocabSize + positions + typeVocab) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  return embeddings + m.layers * layer + H * H + H;
}

const fmt = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / MiB).toFixed(0)} MiB`);

export function estimateRun(req: EstimateRequest, device: DeviceLimits): Estimate {
  const m = req.model;
  if (!(req.batchSize >= 1) || !(req.rows >= 1)) throw new RangeError('estimate: batchSize and rows must be positive');
  const S = Math.min(req.seqLen ?? Math.min(m.maxSeqLength, 64), m.maxSeqLength);
  const texts = req.batchSize * (req.textsPerRow ?? 3);
  const tokens = texts * S;
  const P = bertParameters(m);
  const f = 4;
  const stateBytes = 16 * P;
  const layerActs = f * (texts * m.heads * S * S * 2 + tokens * m.intermediate * 2 + 10 * tokens * m.hidden);
  const activationBytes = f * m.layers * tokens * m.hidden + 2 * layerActs;
  const trainingBytes = stateBytes + activationBytes;
  const buffers = { 'the word-embedding table': f * m.vocabSize * m.hidden, 'the attention scores': f * texts * m.heads * S * S, 'the feed-forward activations': f * tokens * m.intermediate };
  const [largestName, largestBufferBytes] = Object.entries(buffers).sort((a, b) => b[1] - a[1])[0]!;
  const totalSteps = req.steps ?? (req.epochs ?? 1) * Math.ceil(req.rows / req.batchSize);
  const flops = 8 * (P - m.vocabSize * m.hidden) * tokens + 4 * 4 * m.layers * texts * S * S * m.hidden;
  const secondsPerStep = flops / (device.flopsPerSecond ?? defaultFlops[device.backend]);
  const budget = device.memoryBudgetBytes ?? defaultMemoryBudget[device.backend];
  const base = { backend: device.backend, parameters: P, trainingBytes, largestBufferBytes, secondsPerStep, totalSeconds: secondsPerStep * totalSteps, totalSteps };
  const bindLimit = device.backend === 'webgpu' ? Math.min(device.maxStorageBufferBindingSize ?? Infinity, device.maxBufferSize ?? Infinity) : Infinity;
  if (largestBufferBytes > bindLimit) {
    return { ...base, fits: false, reason: `${largestName} needs a ${fmt(largestBufferBytes)} buffer but this WebGPU adapter allows at most ${fmt(bindLimit)} per buffer (maxStorageBufferBindingSize/maxBufferSize); pick a smaller model or batch size` };
  }
  if (trainingBytes > budget) {
    return { ...base, fits: false, reason: `training needs about ${fmt(trainingBytes)} (${(P / 1e6).toFixed(1)}M parameters: weights, gradients and AdamW state ${fmt(stateBytes)}, activations ${fmt(activationBytes)} at batch ${req.batchSize}) but the ${device.backend} budget is ${fmt(budget)}; pick a smaller model or batch size` };
  }
  return { ...base, fits: true, reason: `about ${fmt(trainingBytes)} of ${fmt(budget)} (${device.backend}), ${(P / 1e6).toFixed(1)}M parameters, ${texts} texts of ${S} tokens per step` };
}
