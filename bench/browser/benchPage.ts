import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { runTextBench, type TextBenchOptions, type TextBenchResult } from '../textBench.ts';
import { defaultThreads, withWasmThreads } from '../../src/workers/backend.ts';
import { installWebGpuCounters } from '../../src/workers/webgpuCounters.ts';
import { runClipBench, type ClipBenchOptions, type ClipBenchResult } from '../clipBench.ts';

// served by the Vite dev server from the installed package
setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');

export interface PageBenchInfo {
  backend: string;
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  flags: Record<string, unknown>;
  adapter?: Record<string, unknown>;
}

/** Switches to `backend` (failing rather than falling back) and describes it. */
export async function useBackend(backend: string): Promise<PageBenchInfo> {
  // wasm as the lab's workers start it: every logical core (src/workers/backend.ts)
  const set = () => tf.setBackend(backend);
  if (!(await (backend === 'wasm' ? withWasmThreads(defaultThreads(), set) : set()))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`asked for ${backend}, tfjs runs ${tf.getBackend()}`);
  const flags: Record<string, unknown> = {};
  const want: Record<string, string[]> = {
    wasm: ['WASM_HAS_MULTITHREAD_SUPPORT', 'WASM_HAS_SIMD_SUPPORT'],
    webgl: ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_MAX_TEXTURE_SIZE'],
  };
  for (const f of want[backend] ?? []) flags[f] = await tf.env().getAsync(f);
  const info: PageBenchInfo = {
    backend,
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    flags,
  };
  if (backend === 'webgpu') info.adapter = { ...(tf.backend() as unknown as { adapterInfo: object }).adapterInfo };
  return info;
}

/** Partial results are logged as "FTLAB_PARTIAL <json>" so the harness keeps them if it must kill the page. */
export function run(opts: Omit<TextBenchOptions, 'log' | 'onPartial' | 'gpuCounter'>): Promise<TextBenchResult> {
  const device = tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device: GPUDevice }).device : undefined;
  return runTextBench({
    ...opts,
    ...(device && { gpuCounter: installWebGpuCounters(device) }),
    log: (m) => console.log(`FTLAB_LOG ${m}`),
    onPartial: (r) => console.log(`FTLAB_PARTIAL ${JSON.stringify(r)}`),
  });
}

/** The CLIP bench (image embeddings/s, CLIP train step) on the page's backend; partials logged like `run`. */
export function runClip(opts: Omit<ClipBenchOptions, 'log' | 'onPartial'>): Promise<ClipBenchResult> {
  return runClipBench({
    ...opts,
    backend: `browser-${tf.getBackend()}`,
    log: (m) => console.log(`FTLAB_LOG ${m}`),
    onPartial: (r) => console.log(`FTLAB_PARTIAL ${JSON.stringify(r)}`),
  });
}
