import * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernel, runKernel, runProgram, workgroupSumWgsl, type WebGpuBackendLike } from './gpuProgram.ts';

/**
 * LayerNorm over the last axis of a [rows, cols] tensor in one dispatch (one workgroup per row), and its
 * backward in three: dx (one workgroup per row, statistics recomputed), per-row statistics, and dgamma from
 * them; dbeta is tfjs' column sum. Same arithmetic as nn/layers.ts' composite: two-pass biased variance,
 * (x - mean) * inverseSqrt(var + eps) * gamma + beta.
 */
const THREADS = 64;

/**
 * WGSL that sets `mean` and `rstd` of the workgroup's row of `x`; needs workgroupSum. WGSL's uniformity
 * analysis treats the workgroup index as non-uniform, so a padding workgroup (tfjs may spread a large
 * dispatch over two dimensions) clamps its row and only `valid` workgroups write, instead of returning early.
 */
const rowStats = `
  let valid = workgroupIndex() < uniforms.xShape.x;
  let row = min(workgroupIndex(), uniforms.xShape.x - 1);
  let cols = uniforms.cols;
  let base = row * cols;
  var s = 0.0;
  for (var c = i32(localIndex); c < cols; c += ${THREADS}) { s += x[base + c]; }
  let mean = workgroupSum(s) / f32(cols);
  var q = 0.0;
  for (var c = i32(localIndex); c < cols; c += ${THREADS}) { let d = x[base + c] - mean; q += d * d; }
  let rstd = inverseSqrt(workgroupSum(q) / f32(cols) + uniforms.eps);
`;

const uniforms = 'cols : i32, eps : f32,';
const rowUniforms = (x: tf.TensorInfo, eps: number) => [
  { type: 'int32' as const, data: [x.shape[1]!] },
  { type: 'float32' as const, data: [eps] },
];

function rowProgram(
  backend: WebGpuBackendLike,
  key: string,
  names: string[],
  inputs: tf.TensorInfo[],
  outputShape: number[],
  eps: number,
  body: string,
) {
  const x = inputs[names.indexOf('x')]!;
  return runProgram(
    backend,
    {
      key,
      inputs: names,
      outputShape,
      threads: THREADS,
      workgroups: x.shape[0]!,
      uniforms,
      code: `${workgroupSumWgsl(THREADS)}
fn main(index : i32) {
  ${rowStats}
  ${body}
}`,
    },
    inputs,
    rowUniforms(x, eps),
  );
}

registerWebGpuKernel(
  'FtlabLayerNorm',
  (inputs, backend, { eps }) =>
    rowProgram(
      backend,
      'layerNorm',
      ['x', 'gamma', 'beta'],
      inputs,
      inputs[0]!.shape,
      eps!,
      `for (var c = i32(localIndex); c < cols && valid; c += ${THREADS}) {
    result[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
  }`,
    ),
  ['x', 'gamma', 'beta'],
  {
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved as [tf.Tensor2D, tf.Tensor1D];
      const eps = (attrs as { eps: number }).eps;
      const g = dy as tf.Tensor2D;
      return {
        x: () => runKernel('FtlabLayerNormGradX', { dy: g, x, gamma }, { eps }),
        gamma: () => runKernel('FtlabLayerNormGradGamma', { dy: g, x, stats: runKernel('FtlabLayerNormStats', { x }, { eps }) }),
        beta: () => tf.sum(g, 0),
      };
    },
  },
);

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma
registerWebGpuKernel(
  'FtlabLayerNormGradX',
  (inputs, backend, { eps }) =>
    rowProgram(
      backend,
      'layerNormGradX',
      ['dy', 'x', 'gamma'],
      inputs,
      inputs[0]!.shape,
      eps!,
      `var sg = 0.0;
  var sgx = 0.0;
  for (var c = i32(localIndex); c < cols; c += ${THREADS}) {
    let g = dy[base + c] * gamma[c];
    sg += g;
    sgx += g * (x[base + c] - mean) * rstd;
  }
  let meanG = workgroupSum(sg) / f32(cols);
  let meanGX = workgroupSum(sgx) / f32(cols);
  for (var c = i32(localIndex); c < cols && valid; c += ${THREADS}) {
    let xhat = (x[base + c] - mean) * rstd;
    result[base + c] = rstd * (dy[base + c] * gamma[c] - meanG - xhat * meanGX);
  }`,
    ),
  ['dy', 'x', 'gamma'],
);

// [rows, 2]: mean and 1/sqrt(var + eps) of each row
registerWebGpuKernel(
  'FtlabLayerNormStats',
  (inputs, backend, { eps }) =>
    rowProgram(
      backend,
      'layerNormStats',
      ['x'],
      inputs,
      [inputs[0]!.shape[0]!, 2],
      eps!,
      `if (localIndex == 0u && valid) {
    result[row * 2] = mean;
    result[row * 2 + 1] = rstd;
  }`,
    ),
  ['x'],
);

// dgamma[c] = sum over rows of dy * xhat, one thread per column (adjacent threads read adjacent columns)
registerWebGpuKernel(
  'FtlabLayerNormGradGamma',
  ([dy, x, stats], backend) => {
    const [rows, cols] = x!.shape as [number, number];
    return runProgram(
      backend,
      {
        key: 'layerNormGradGamma',
        inputs: ['dy', 'x', 'stats'],
        outputShape: [cols],
        threads: THREADS,
        workgroups: Math.ceil(cols / THREADS),
        uniforms: 'rows : i32, cols : i32,',
        code: `
fn main(index : i32) {
  let cols = uniforms.cols;
  if (index >= cols) { return; }
  var s = 0.0;
  for (var r = 0; r < uniforms.rows; r++) {
    s += dy[r * cols + index] * (x[r * cols + index] - stats[r * 2]) * stats[r * 2 + 1];
  }
  result[index] = s;
}`,
      },
      [dy!, x!, stats!],
      [
        { type: 'int32', data: [rows] },
        { type: 'int32', data: [cols] },
      ],
    );
  },
  ['dy', 'x', 'stats'],
);

/** LayerNorm over the last axis of `x` (any rank) with one custom kernel forward and three backward. */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const cols = x.shape[x.shape.length - 1]!;
  const y = runKernel('FtlabLayerNorm', { x: tf.reshape(x, [-1, cols]), gamma, beta }, { eps });
  return tf.reshape(y, x.shape);
}
