import type * as tf from '@tensorflow/tfjs';
import { dropThreshold, dropoutWgsl, keepScale } from '../../random/dropoutMask.ts';
import { registerWebGpuKernel, runElementwise, runKernel } from './gpuProgram.ts';

/**
 * Inverted dropout with the mask hashed in the shader (random/dropoutMask.ts): one dispatch, nothing
 * uploaded. Its gradient is the same kernel on dy with the same seed, so it needs nothing saved.
 */
registerWebGpuKernel(
  'FtlabDropout',
  ([x], backend, { mix, rate }) =>
    runElementwise(
      backend,
      {
        key: 'dropout',
        inputs: ['x'],
        prelude: dropoutWgsl,
        uniforms: 'mix : u32, threshold : u32, scale : f32,',
        expr: 'select(0.0, x[index] * uniforms.scale, dropKeep(u32(index), uniforms.mix, uniforms.threshold))',
      },
      [x!],
      [
        { type: 'uint32', data: [mix!] },
        { type: 'uint32', data: [dropThreshold(rate!)] },
        { type: 'float32', data: [keepScale(rate!)] },
      ],
    ),
  ['x'],
  { gradFunc: (dy, _saved, attrs) => ({ x: () => fusedDropout(dy as tf.Tensor, attrs as { mix: number; rate: number }) }) },
);

/** x * mask / (1 - rate) for the site whose seed hashes to `mix`. */
export function fusedDropout(x: tf.Tensor, a: { mix: number; rate: number }): tf.Tensor {
  return runKernel('FtlabDropout', { x }, { mix: a.mix, rate: a.rate });
}
