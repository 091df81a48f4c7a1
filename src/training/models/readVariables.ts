import type * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../weights/safetensors.ts';

/**
 * Copies variables to CPU memory as a TensorMap. Reads with `await data()`: a synchronous dataSync() on
 * tfjs-webgpu returns zeros and leaves the device unusable (seen in headless Chromium with SwiftShader).
 */
export async function readVariables(vars: Map<string, tf.Tensor>): Promise<TensorMap> {
  const entries = await Promise.all(
    [...vars].map(
      async ([name, v]) =>
        [name, { shape: [...v.shape] as number[], data: new Float32Array(await v.data()) }] as [string, { shape: number[]; data: Float32Array }],
    ),
  );
  return new Map(entries);
}
