/**
 * onnxruntime-web as the workers' forward-only runtime (training/inference/onnxRuntime.ts): its threaded SIMD
 * wasm build, served from the app itself through Vite `?url` imports (offline, no CDN). Threads need the page
 * cross-origin isolated, as tfjs-wasm's do; without isolation onnxruntime-web runs one thread. Where the lab
 * trains on WebGPU, ortWebGpuRuntime.ts runs the same sessions on onnxruntime-web's WebGPU execution provider.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { ortSessionLike, type OnnxRuntime } from '../training/inference/onnxRuntime.ts';

/** Both onnxruntime-web builds (wasm, webgpu) share this API. */
export type OrtWeb = typeof ort;

export function crossOriginIsolatedThreads(threads: number): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, threads) : 1;
}

/** An OnnxRuntime over one onnxruntime-web build and execution provider. */
export function ortWebRuntime(api: OrtWeb, name: string, executionProvider: 'wasm' | 'webgpu'): OnnxRuntime {
  return {
    name,
    async createSession(bytes) {
      // severity 3 (errors): the WebGPU EP warns on every session that shape ops stay on the CPU, by design
      const session = await api.InferenceSession.create(bytes, {
        executionProviders: [executionProvider],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return ortSessionLike(session, (f) => new api.Tensor('int64', f.data, f.dims));
    },
  };
}

export function webOnnxRuntime(threads: number): OnnxRuntime {
  const n = crossOriginIsolatedThreads(threads);
  ort.env.wasm.wasmPaths = { mjs: ortMjsUrl, wasm: ortWasmUrl };
  ort.env.wasm.numThreads = n;
  return ortWebRuntime(ort, `onnxruntime-web wasm, ${n} thread${n === 1 ? '' : 's'}`, 'wasm');
}
