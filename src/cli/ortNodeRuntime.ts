/** onnxruntime-node as the CLI's forward-only runtime (training/inference/onnxRuntime.ts), on every core unless told. */
import * as ort from 'onnxruntime-node';
import type { OnnxRuntime, OnnxSessionLike } from '../training/inference/onnxRuntime.ts';
import { defaultThreads } from './nodeBackend.ts';

export function nodeOnnxRuntime(threads = defaultThreads()): OnnxRuntime {
  return {
    name: `onnxruntime-node cpu, ${threads} thread${threads === 1 ? '' : 's'}`,
    async createSession(bytes): Promise<OnnxSessionLike> {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, outputs) {
          const inputs = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor('int64', f.data, f.dims)]));
          const out = await session.run(inputs, [...outputs]);
          return Object.fromEntries(
            outputs.map((name) => {
              const t = out[name]!;
              const r = { data: t.data as Float32Array, dims: t.dims };
              return [name, r];
            }),
          );
        },
        release: () => session.release(),
      };
    },
  };
}
