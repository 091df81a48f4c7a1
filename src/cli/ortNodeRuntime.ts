/** onnxruntime-node as the CLI's forward-only runtime (training/inference/onnxRuntime.ts), on every core unless told. */
import * as ort from 'onnxruntime-node';
import { ortSessionLike, type OnnxRuntime } from '../training/inference/onnxRuntime.ts';
import { defaultThreads } from './nodeBackend.ts';

export function nodeOnnxRuntime(threads = defaultThreads()): OnnxRuntime {
  return {
    name: `onnxruntime-node cpu, ${threads} thread${threads === 1 ? '' : 's'}`,
    async createSession(bytes) {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
      return ortSessionLike(session, (f) => new ort.Tensor('int64', f.data, f.dims));
    },
  };
}
