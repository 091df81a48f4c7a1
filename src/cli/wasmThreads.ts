/**
 * tfjs-backend-wasm's threaded SIMD build in Node. tfjs only enables it where `WASM_HAS_MULTITHREAD_SUPPORT`
 * detects a browser with cross-origin isolation, so Node gets one thread. The emscripten build itself runs on
 * worker_threads; three things stand in the way, and this module removes them for the duration of the init:
 * - the pthread worker script is handed over as a blob: URL, which Node's Worker refuses: a copy of the same
 *   script goes to a temporary file, loading the factory with require() instead of from the blob;
 * - the flag is forced on;
 * - tfjs caps its pool at half of emscripten_num_logical_cores() (it assumes two hyper-threads per core), which
 *   in Node is os.cpus().length: the count is doubled while the module starts, so `threads` cores are used.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** the branch of the worker script that imports the main script from the blob */
const BLOB_IMPORT =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

/** The worker script as a file, or undefined when this tfjs build's script differs from the one patched here. */
function workerScriptFile(distDir: string): string | undefined {
  const out = path.join(distDir, '..', 'wasm-out');
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // tfjs escapes newlines the same way before making its blob: the template literal turned "\n" into real ones
  const body = wasmWorkerContents.replace(/\n/g, '\\n');
  if (!body.includes(BLOB_IMPORT)) return undefined;
  const factory = JSON.stringify(path.join(out, 'tfjs-backend-wasm-threaded-simd.js'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ftlab-wasm-'));
  const file = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(file, `var WasmBackendModuleThreadedSimd=require(${factory});` + body.replace(BLOB_IMPORT, ''));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}

/**
 * Runs `init` (which must start the wasm backend) with the threaded build set up for `threads` threads.
 * Returns false, changing nothing, when the installed tfjs does not match what is patched.
 */
export async function withThreadedWasm(distDir: string, threads: number, init: () => Promise<boolean>): Promise<boolean> {
  const file = threads > 1 ? workerScriptFile(distDir) : undefined;
  if (!file) return init();
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (b: Blob) => (b.type === 'application/javascript' ? file : createObjectURL(b));
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    const ok = await init();
    // the pool's threads live as long as the backend; they must not keep the process from exiting
    const pthread = (tf.findBackend('wasm') as unknown as { wasm?: { PThread?: { runningWorkers: { unref(): void }[] } } } | undefined)?.wasm
      ?.PThread;
    for (const w of pthread?.runningWorkers ?? []) w.unref();
    return ok;
  } finally {
    URL.createObjectURL = createObjectURL;
    (os as { cpus: () => os.CpuInfo[] }).cpus = cpus;
  }
}
