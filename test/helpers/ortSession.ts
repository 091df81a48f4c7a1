/** Running exported ONNX models once in onnxruntime-node and onnxruntime-web (what transformers.js uses in browsers). */
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { ortSessionLike, type OnnxRuntime } from '../../src/training/inference/onnxRuntime.ts';

/** An int64 tensor (token ids, attention masks) for onnxruntime-node. */
export function int64Tensor(values: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** The same for onnxruntime-web. */
export function int64WebTensor(values: ArrayLike<number>, dims: readonly number[]): ortWeb.Tensor {
  return new ortWeb.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/**
 * One run of a model (a file path or its bytes) in onnxruntime-node, the session released afterwards;
 * `inspect` sees the session first (its input and output names).
 */
export async function runOnnx(
  model: string | Uint8Array,
  feeds: Record<string, ort.Tensor>,
  inspect?: (session: ort.InferenceSession) => void,
): Promise<Record<string, ort.Tensor>> {
  // two overloads (a path, bytes): a union argument matches neither
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    inspect?.(session);
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** One run in onnxruntime-web's single-threaded WASM backend, the session released afterwards. */
export async function runOnnxWeb(model: Uint8Array, feeds: Record<string, ortWeb.Tensor>): Promise<Record<string, ortWeb.Tensor>> {
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** onnxruntime-web (its Node build, single-threaded wasm) behind the runtime interface the workers install. */
export function webOnnxRuntimeForNode(): OnnxRuntime {
  ortWeb.env.wasm.numThreads = 1;
  return {
    name: 'onnxruntime-web wasm, 1 thread',
    async createSession(bytes) {
      const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      return ortSessionLike(session, (f) => new ortWeb.Tensor('int64', f.data, f.dims));
    },
  };
}
