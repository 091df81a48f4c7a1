/**
 * Environment detection in one place: which tfjs backend the workers train on, and why. Preference order
 * webgpu → webgl → wasm → cpu; each candidate must initialise AND run a tiny matMul with an async readback
 * (a backend that registers but cannot compute is skipped, with the failure in the reason).
 * The wasm binaries are bundled through Vite `?url` imports, so they are served from the app itself (offline).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendInfo, BackendName } from '../lab/api/labApi.ts';
import type { DeviceLimits } from '../training/families/estimate.ts';

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

async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === 'webgpu' && !(globalThis.navigator as Navigator & { gpu?: unknown })?.gpu) return 'navigator.gpu is missing (browser without WebGPU)';
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is missing';
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
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
 * Picks and activates the first backend that works (once per worker). `prefer` moves one backend to the
 * front (a `?backend=` URL parameter, tests); `only` allows nothing else.
 */
export function selectBackend(opts: { prefer?: BackendName; only?: boolean } = {}): Promise<BackendInfo> {
  chosen ??= (async () => {
    const order = opts.prefer ? (opts.only ? [opts.prefer] : [opts.prefer, ...backendOrder.filter((b) => b !== opts.prefer)]) : backendOrder;
    const failures: string[] = [];
    for (const name of order) {
      const why = await tryBackend(name);
      if (why === undefined) {
        const details = name === 'webgpu' ? webgpuDetails() : {};
        const head =
          opts.prefer === name ? `${name} requested` : failures.length ? `${name}, the first backend that works` : `${name}, the fastest backend`;
        const reason = [head + (details.adapter ? ` (adapter: ${details.adapter})` : ''), ...failures].join('; ');
        return { name, reason, ...details };
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
