/**
 * onnxruntime-web's WebGPU execution provider as the forward-only runtime where the lab trains on WebGPU. It is
 * its own build (the asyncify wasm, ~27 MB), so the workers import this module only once WebGPU is chosen; its
 * device is separate from tfjs-webgpu's, which keeps the two from ever contending for one queue's state.
 * Ops the WebGPU EP lacks fall back to its wasm CPU kernels inside the same session.
 */
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { OnnxRuntime } from '../training/inference/onnxRuntime.ts';
import { crossOriginIsolatedThreads, ortWebRuntime, type OrtWeb } from './ortWebRuntime.ts';

export async function webGpuOnnxRuntime(threads: number): Promise<OnnxRuntime> {
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtWeb;
  ort.env.wasm.wasmPaths = { mjs: ortMjsUrl, wasm: ortWasmUrl };
  ort.env.wasm.numThreads = crossOriginIsolatedThreads(threads);
  return ortWebRuntime(ort, 'onnxruntime-web webgpu', 'webgpu');
}
