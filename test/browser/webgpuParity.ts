import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { onnxParity, type OnnxParityResult } from './parityCase.ts';
import { webGpuOnnxRuntime } from '../../src/workers/ortWebGpuRuntime.ts';
import { countsBetween, installWebGpuCounters, type WebGpuCounts } from '../../src/workers/webgpuCounters.ts';

export { parityForward, parityGrads } from './parityCase.ts';

/** The lab's inference runtime beside tfjs-webgpu (onnxruntime-web's WebGPU EP) against tfjs-webgpu. */
export async function webGpuOnnxParity(): Promise<OnnxParityResult> {
  return onnxParity(await webGpuOnnxRuntime(1));
}

// served by the Vite dev server from the installed package
setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');

export interface BackendInfo {
  requested: string;
  active: string;
  adapter: Record<string, unknown> | null;
  error?: string;
}

/** Switches tfjs to `backend`; reports what is really active (tfjs may fall back silently). */
export async function useBackend(backend: string): Promise<BackendInfo> {
  let error: string | undefined;
  try {
    if (!(await tf.setBackend(backend))) error = `tf.setBackend('${backend}') returned false`;
    await tf.ready();
  } catch (e) {
    error = String(e);
  }
  const active = tf.getBackend();
  const info = active === 'webgpu' ? (tf.backend() as unknown as { adapterInfo?: Record<string, unknown> }).adapterInfo : undefined;
  return { requested: backend, active, adapter: info ? { ...info } : null, ...(error ? { error } : {}) };
}

/**
 * A 2x2 matMul read back asynchronously. (Never dataSync on webgpu here: in headless Chromium's SwiftShader
 * WebGPU the synchronous readback returns zeros and leaves the device unusable.)
 */
export async function matMulCheck(): Promise<number[]> {
  const m = tf.matMul(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    tf.tensor2d([[5], [6]]),
  );
  const out = Array.from(await m.data());
  m.dispose();
  return out;
}

/** Counts of known tfjs-webgpu work: two atan2 (a program no other check compiles; the second reuses it), one readback each. */
export async function counterCheck(): Promise<{ first: WebGpuCounts; second: WebGpuCounts; values: number[] }> {
  const counter = installWebGpuCounters((tf.backend() as unknown as { device: GPUDevice }).device);
  const once = async () => {
    const before = counter.snapshot();
    counter.resetPeak();
    const a = tf.tensor1d(Array.from({ length: 4096 }, (_, i) => i));
    const b = tf.tensor1d(Array.from({ length: 4096 }, () => 1));
    const c = tf.atan2(a, b);
    const values = Array.from((await c.data()).slice(0, 3));
    tf.dispose([a, b, c]);
    return { counts: countsBetween(before, counter.snapshot()), values };
  };
  const first = await once();
  const second = await once();
  return { first: first.counts, second: second.counts, values: second.values };
}
