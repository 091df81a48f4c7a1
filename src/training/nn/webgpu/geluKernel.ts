import type * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernel, runElementwise, runKernel } from './gpuProgram.ts';

/**
 * Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), forward and backward in one dispatch each, instead of five
 * elementwise kernels forward and about ten backward. erf is tfjs-webgpu's own (Abramowitz & Stegun 7.1.26),
 * so the values match tf.erf on this backend.
 */
const geluWgsl = `
fn erfAS(a : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(a));
  return sign(a) * (1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a));
}
fn gelu(v : f32) -> f32 { return v * 0.5 * (1.0 + erfAS(v * 0.7071067811865476)); }
// d/dx = Phi(x) + x phi(x)
fn geluGrad(v : f32, g : f32) -> f32 {
  return g * (0.5 * (1.0 + erfAS(v * 0.7071067811865476)) + v * 0.3989422804014327 * exp(-0.5 * v * v));
}
`;

registerWebGpuKernel(
  'FtlabGelu',
  (inputs, backend) => runElementwise(backend, { key: 'gelu', inputs: ['x'], prelude: geluWgsl, expr: 'gelu(x[index])' }, inputs),
  ['x'],
  {
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => runKernel('FtlabGeluGrad', { x: x!, dy: dy as tf.Tensor }) }),
  },
);

registerWebGpuKernel(
  'FtlabGeluGrad',
  (inputs, backend) =>
    runElementwise(backend, { key: 'geluGrad', inputs: ['x', 'dy'], prelude: geluWgsl, expr: 'geluGrad(x[index], dy[index])' }, inputs),
  ['x', 'dy'],
);

export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return runKernel('FtlabGelu', { x });
}
