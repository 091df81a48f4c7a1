import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

export type NodeBackend = 'wasm' | 'cpu';

/**
 * tfjs in Node: the wasm backend (about 5x faster than cpu for training here) loaded from the installed
 * package's .wasm files; falls back to cpu if wasm cannot start.
 */
export async function initNodeBackend(preferred: NodeBackend = (process.env.FTLAB_BACKEND as NodeBackend) || 'wasm'): Promise<string> {
  if (preferred === 'wasm') {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(dist + path.sep);
  }
  if (tf.getBackend() === preferred) return preferred;
  try {
    if (!(await tf.setBackend(preferred))) throw new Error(`backend ${preferred} did not initialise`);
  } catch (e) {
    if (preferred === 'cpu') throw e;
    process.stderr.write(`ftlab: ${preferred} backend unavailable (${(e as Error).message}); using cpu\n`);
    await tf.setBackend('cpu');
  }
  await tf.ready();
  return tf.getBackend();
}
