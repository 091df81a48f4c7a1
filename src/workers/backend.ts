/**
 * Environment detection in one place: which tfjs backend the workers train on, and why. Preference order
 * webgpu → webgl → wasm → cpu; each candidate must initialise AND run a tiny matMul with an async readback
 * (a backend that registers but cannot compute is skipped, with the failure in the reason).
 * The wasm binaries are bundled through Vite `?url` imports, so they are served from the app itself (offline).
 * Only tfjs-core and the two backends tried first load with the worker; WebGL and CPU load when tried, and the
 * rest of tfjs with the session's code (the first page load stays small).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendInfo, BackendName } from '../lab/api/labApi.ts';
import type { DeviceLimits } from '../training/families/estimate.ts';
import { useOnnxRuntime, type OnnxRuntime } from '../training/inference/onnxRuntime.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

/** tfjs-backend-webgpu's MatMulProgramType.MatMulPackedProgram (webgpu_util.ts) */
const MATMUL_PACKED_PROGRAM = 3;

export const backendOrder: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

async function works(): Promise<void> {
  const m = tf.matMul(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    tf.tensor2d([[5], [6]]),
  );
  try {
    // never dataSync on webgpu: it breaks the device in headless Chromium
    const v = Array.from(await m.data());
    if (v[0] !== 17 || v[1] !== 39) throw new Error(`a test matMul gave [${v}] instead of [17,39]`);
  } finally {
    m.dispose();
  }
}

/** every logical core the browser reports (at least 1) */
export const defaultThreads = (): number => Math.max(1, Math.floor(globalThis.navigator?.hardwareConcurrency ?? 1));

/**
 * Starts tfjs-wasm with `threads` threads. tfjs caps its pool at half of navigator.hardwareConcurrency (it
 * assumes two hyper-threads per core, so a 2-core machine got one thread): the worker's navigator reports
 * twice the wanted count while the module starts, then the real value again.
 */
export async function withWasmThreads<T>(threads: number, init: () => Promise<T>): Promise<T> {
  setThreadsCount(threads);
  const nav = globalThis.navigator as Navigator & { hardwareConcurrency: number };
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
  } catch {
    /* a navigator that cannot be shadowed keeps tfjs' own cap */
  }
  try {
    return await init();
  } finally {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function tryBackend(name: BackendName, threads: number): Promise<string | undefined> {
  if (name === 'webgpu' && !(globalThis.navigator as Navigator & { gpu?: unknown })?.gpu) return 'navigator.gpu is missing (browser without WebGPU)';
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is missing';
  try {
    if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
    if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    const set = () => tf.setBackend(name);
    if (!(await (name === 'wasm' ? withWasmThreads(threads, set) : set()))) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    if (tf.getBackend() !== name) return `tfjs fell back to ${tf.getBackend()}`;
    // Split-K matMuls accumulate with float atomics in a varying order; the packed program is reproducible,
    // which a resumed run needs to reach the uninterrupted run's weights bit for bit.
    if (name === 'webgpu') tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED_PROGRAM);
    await works();
    return undefined;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

function webgpuDetails(): Pick<BackendInfo, 'limits' | 'adapter'> {
  const b = tf.backend() as unknown as { device?: { limits?: Record<string, number> }; adapterInfo?: Record<string, unknown> };
  const l = b.device?.limits;
  const a = b.adapterInfo;
  const adapter = a ? [a.vendor, a.architecture, a.description].filter((x) => typeof x === 'string' && x).join(' ') : undefined;
  return {
    ...(l && { limits: { maxBufferSize: Number(l.maxBufferSize), maxStorageBufferBindingSize: Number(l.maxStorageBufferBindingSize) } }),
    ...(adapter && { adapter }),
  };
}

let chosen: Promise<BackendInfo> | undefined;

/**
 * Forward-only work runs on onnxruntime-web: its WebGPU EP beside tfjs-webgpu, threaded wasm beside tfjs-wasm
 * or cpu. Beside tfjs-webgl it stays on tfjs (the GPU through WebGL); a WebGPU EP that cannot load gives wasm.
 */
export async function inferenceRuntime(name: BackendName, threads: number): Promise<OnnxRuntime | undefined> {
  const webOnnxRuntime = async (n: number) => (await import('./ortWebRuntime.ts')).webOnnxRuntime(n);
  if (name === 'wasm' || name === 'cpu') return webOnnxRuntime(threads);
  if (name !== 'webgpu') return undefined;
  try {
    const { webGpuOnnxRuntime } = await import('./ortWebGpuRuntime.ts');
    return await webGpuOnnxRuntime(threads);
  } catch (e) {
    console.warn(`onnxruntime-web webgpu did not load (${String(e)}); inference on onnxruntime-web wasm`);
    return webOnnxRuntime(threads);
  }
}

/**
 * Picks and activates the first backend that works (once per worker). `prefer` moves one backend to the
 * front (a `?backend=` URL parameter, tests); `only` allows nothing else; `threads` sizes the wasm pool
 * (default: every logical core).
 */
export function selectBackend(opts: { prefer?: BackendName; only?: boolean; threads?: number } = {}): Promise<BackendInfo> {
  chosen ??= (async () => {
    const order = opts.prefer ? (opts.only ? [opts.prefer] : [opts.prefer, ...backendOrder.filter((b) => b !== opts.prefer)]) : backendOrder;
    const failures: string[] = [];
    const threads = opts.threads ?? defaultThreads();
    for (const name of order) {
      const why = await tryBackend(name, threads);
      if (why === undefined) {
        // threaded wasm needs cross-origin isolation; without it tfjs runs the single-threaded SIMD build
        const details: Partial<BackendInfo> = name === 'webgpu' ? webgpuDetails() : name === 'wasm' ? { threads: getThreadsCount() } : {};
        const head =
          opts.prefer === name ? `${name} requested` : failures.length ? `${name}, the first backend that works` : `${name}, the fastest backend`;
        const reason = [head + (details.adapter ? ` (adapter: ${details.adapter})` : ''), ...failures].join('; ');
        const runtime = await inferenceRuntime(name, threads);
        useOnnxRuntime(runtime);
        return { name, reason, ...details, inference: runtime?.name ?? `tfjs ${name}` };
      }
      failures.push(`${name} unavailable: ${why}`);
    }
    throw new Error(`no tfjs backend works here: ${failures.join('; ')}`);
  })();
  return chosen;
}

export async function deviceLimits(): Promise<DeviceLimits> {
  const info = await selectBackend();
  return { backend: info.name, maxBufferSize: info.limits?.maxBufferSize, maxStorageBufferBindingSize: info.limits?.maxStorageBufferBindingSize };
}
