/**
 * The time and memory estimate of a fine-tuning run and the refusal of a model that cannot fit the device,
 * made before anything is downloaded (config.json alone). Each family counts its own parameters, activations
 * and FLOPs (sentence/estimateSentence.ts, clip/estimateClip.ts); the budgets, the WebGPU per-buffer limit and
 * the wording of the verdict are shared here.
 *
 * Memory: fp32 weights + gradients + AdamW m and v, plus activations under per-layer gradient checkpointing.
 * Largest buffer: WebGPU refuses a storage binding above adapter.limits.maxStorageBufferBindingSize
 * (128 MiB by default), so the biggest single tensor decides whether a model can run there at all.
 * Time: FLOPs divided by a per-backend sustained rate. The rates are deliberately conservative defaults
 * (measured orders of magnitude, not a benchmark of the user's machine); pass `flopsPerSecond` to calibrate.
 */
import type { FamilyShape } from './shapes.ts';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

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

export interface EstimateRequest {
  /** a family's shape (FamilyShape); an untagged text shape is a BERT-family one */
  model: FamilyShape;
  batchSize: number;
  rows: number;
  epochs?: number;
  steps?: number;
  /** text families: tokens per text used for the estimate; default min(maxSeqLength, 64) */
  seqLen?: number;
  /** text families: columns per row, 2 for (query, positive), 3 with a negative; default 3 */
  textsPerRow?: number;
  /**
   * train with GradCache (cached-mnrl, or the CLIP loss's mini-batches): one mini-batch's activations are in
   * memory at a time; the estimate picks the largest power-of-two mini-batch (≤ 64, ≤ the batch) that fits and reports it
   */
  gradCache?: boolean;
  /** text-image families: frozen towers keep no gradients or AdamW state */
  lockText?: boolean;
  lockImage?: boolean;
  /** a measured training rate of this device for this shape (calibrate.ts); default the backend's rough rate */
  flopsPerSecond?: number;
}

export interface Estimate {
  backend: BackendName;
  fits: boolean;
  /** why it does not fit (shown as the refusal), or the main assumption when it does */
  reason: string;
  parameters: number;
  /** model weights + AdamW state + activations + gradients, bytes */
  trainingBytes: number;
  /** the largest single GPU buffer (embedding table, attention scores, …), bytes */
  largestBufferBytes: number;
  /** estimated time of one optimizer step and of the whole run, seconds */
  secondsPerStep: number;
  totalSeconds: number;
  totalSteps: number;
  /** the rate the time was divided by, and whether it was measured on this device or the backend's default */
  flopsPerSecond: number;
  measured: boolean;
  /** with gradCache: the rows per forward pass the estimate chose */
  miniBatchSize?: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const defaultMemoryBudget: Record<BackendName, number> = { webgpu: 4 * GiB, webgl: 2 * GiB, wasm: 3.5 * GiB, cpu: 2 * GiB };
export const defaultFlops: Record<BackendName, number> = { webgpu: 2e11, webgl: 5e10, wasm: 1e10, cpu: 5e8 };

export const formatBytes = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / MiB).toFixed(0)} MiB`);

export function checkEstimateRequest(req: EstimateRequest): void {
  if (!(req.batchSize >= 1) || !(req.rows >= 1)) throw new RangeError('estimate: batchSize and rows must be positive');
}

/** What a family's accounting found; `verdict` turns it into the Estimate with the shared refusal rules. */
export interface RunCost {
  parameters: number;
  trainingBytes: number;
  /** the named single buffers; the largest is checked against the WebGPU binding limit */
  buffers: Record<string, number>;
  flops: number;
  totalSteps: number;
  /** the refusal when memory runs out: names the state and activation parts and what to change */
  memoryReason(budget: string): string;
  /** the main assumption when it fits */
  fitsReason(budget: string): string;
  /** appended to the buffer refusal after the adapter limit */
  bufferHint: string;
}

/** One family's estimate of a training pass; `mini` is GradCache's mini-batch, when it trains through one. */
export type EstimatePass = (req: EstimateRequest, device: DeviceLimits, mini?: number) => Estimate;

/**
 * A family's run estimate from its pass estimate: without GradCache the plain pass; with it the largest
 * power-of-two mini-batch (≤ 64, ≤ the batch) whose estimate fits, the smallest (1) when none does,
 * reported as `miniBatchSize`.
 */
export function withGradCache(pass: EstimatePass): (req: EstimateRequest, device: DeviceLimits) => Estimate {
  return (req, device) => {
    if (!req.gradCache) return pass(req, device);
    let mini = 1;
    while (mini * 2 <= Math.min(64, req.batchSize)) mini *= 2;
    for (; ; mini /= 2) {
      const est = pass(req, device, mini);
      if (est.fits || mini === 1) return { ...est, miniBatchSize: mini };
    }
  };
}

export function verdict(cost: RunCost, device: DeviceLimits): Estimate {
  const [largestName, largestBufferBytes] = Object.entries(cost.buffers).sort((a, b) => b[1] - a[1])[0]!;
  const rate = device.flopsPerSecond ?? defaultFlops[device.backend];
  const secondsPerStep = cost.flops / rate;
  const budget = device.memoryBudgetBytes ?? defaultMemoryBudget[device.backend];
  const base = {
    backend: device.backend,
    parameters: cost.parameters,
    trainingBytes: cost.trainingBytes,
    largestBufferBytes,
    secondsPerStep,
    totalSeconds: secondsPerStep * cost.totalSteps,
    totalSteps: cost.totalSteps,
    flopsPerSecond: rate,
    measured: device.flopsPerSecond !== undefined,
  };
  const bindLimit =
    device.backend === 'webgpu' ? Math.min(device.maxStorageBufferBindingSize ?? Infinity, device.maxBufferSize ?? Infinity) : Infinity;
  if (largestBufferBytes > bindLimit) {
    return {
      ...base,
      fits: false,
      reason: `${largestName} needs a ${formatBytes(largestBufferBytes)} buffer but this WebGPU adapter allows at most ${formatBytes(bindLimit)} per buffer${cost.bufferHint}`,
    };
  }
  if (cost.trainingBytes > budget) return { ...base, fits: false, reason: cost.memoryReason(formatBytes(budget)) };
  return { ...base, fits: true, reason: cost.fitsReason(formatBytes(budget)) };
}
