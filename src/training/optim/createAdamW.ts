import type * as tf from '@tensorflow/tfjs';
import { AdamW, type AdamWOptions, type Optimizer } from './adamw.ts';
import { WebGpuAdamW } from './webgpuAdamW.ts';
import { fusedKernelsActive } from '../nn/webgpu/gpuProgram.ts';

/** AdamW + clipping for the active backend: three dispatches for all parameters on webgpu, tfjs ops elsewhere. */
export function createAdamW(params: Map<string, tf.Variable>, opts: AdamWOptions = {}): Optimizer {
  return fusedKernelsActive() ? new WebGpuAdamW(params, opts) : new AdamW(params, opts);
}
