import * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernel, runKernel, runProgram, type WebGpuBackendLike } from './gpuProgram.ts';

/**
 * Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), forward and backward in one dispatch each, instead of five
 * elementwise kernels forward and about ten backward. erf is tfjs-webgpu's own (Abramowitz & Stegun 7.1.26),
 * so the values match tf.erf on this backend.
 */
const THREADS = 256;

const erfWgsl = `
fn erfAS(a : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(a));
  return sign(a) * (1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a));
}
`;

function elementwise(backend: WebGpuBackendLike, key: string, names: string[], inputs: tf.TensorInfo[], expr: string): tf.TensorInfo {
  const size = tf.util.sizeFromShape(inputs[0]!.shape);
  return runProgram(
    backend,
    {
      key,
      inputs: names,
      outputShape: inputs[0]!.shape,
      threads: THREADS,
      workgroups: Math.ceil(size / THREADS),
      uniforms: 'count : i32,',
      code: `${erfWgsl}
fn main(index : i32) {
  if (index < uniforms.count) {
    let v = x[index];
    result[index] = ${expr};
  }
}`,
    },
    inputs,
    [{ type: 'int32', data: [size] }],
  );
}

registerWebGpuKernel(
  'FtlabGelu',
  (inputs, backend) => elementwise(backend, 'gelu', ['x'], inputs, 'v * 0.5 * (1.0 + erfAS(v * 0.7071067811865476))'),
  ['x'],
  {
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => runKernel('FtlabGeluGrad', { x: x!, dy: dy as tf.Tensor }) }),
  },
);

// d/dx = Phi(x) + x phi(x)
registerWebGpuKernel(
  'FtlabGeluGrad',
  (inputs, backend) =>
    elementwise(
      backend,
      'geluGrad',
      ['x', 'dy'],
      inputs,
      'dy[index] * (0.5 * (1.0 + erfAS(v * 0.7071067811865476)) + v * 0.3989422804014327 * exp(-0.5 * v * v))',
    ),
  ['x', 'dy'],
);

export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return runKernel('FtlabGelu', { x });
}
