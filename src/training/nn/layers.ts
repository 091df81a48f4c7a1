/** The neural-network building blocks every model family shares (PyTorch semantics, HF parameter names). */
import * as tf from '@tensorflow/tfjs';
import { linearMatMul } from './linearMatMul.ts';
import { dropoutMask, seedMix } from '../random/dropoutMask.ts';
import { fusedKernelsActive } from './webgpu/gpuProgram.ts';
import { fusedDropout } from './webgpu/dropoutKernel.ts';
import { fusedGelu } from './webgpu/geluKernel.ts';
import { fusedLayerNorm } from './webgpu/layerNormKernel.ts';

/** Float32 lowest value: Hugging Face adds (1 - mask) * torch.finfo(float32).min to masked attention scores. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** Looks up one parameter; a missing name is a programming error, so it names the parameter. */
export type ParamGetter = (name: string) => tf.Tensor;

/** Per-call dropout settings; `next()` yields a fresh deterministic seed for each dropout site. */
export interface DropoutState {
  hidden: number;
  attention: number;
  next(): number | string | undefined;
}

/**
 * x W^T + b with W stored [out, in] as in PyTorch; x is [..., in]. On webgpu one fused matMul (transposed
 * operand and bias in the shader: one dispatch instead of transpose, matMul and add); elsewhere linearMatMul,
 * because tfjs-wasm's transposed matMul is slow and its fused bias measured slower (README, issue 11).
 */
export function linear(x: tf.Tensor, p: ParamGetter, name: string): tf.Tensor {
  const w = p(`${name}.weight`);
  const inDim = x.shape[x.shape.length - 1]!;
  const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  const y = fusedKernelsActive()
    ? tf.fused.matMul({ a: x2, b: w as tf.Tensor2D, transposeB: true, bias: p(`${name}.bias`) })
    : tf.add(linearMatMul(x2, w as tf.Tensor2D), p(`${name}.bias`));
  return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[0]!]);
}

/** torch.nn.LayerNorm over the last axis (biased variance, eps inside the square root). */
export function layerNorm(x: tf.Tensor, p: ParamGetter, name: string, eps: number): tf.Tensor {
  if (fusedKernelsActive()) return fusedLayerNorm(x, p(`${name}.weight`), p(`${name}.bias`), eps);
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, p(`${name}.weight`)), p(`${name}.bias`));
}

/** The hidden_act values of BERT-family configs (CLIP's quick_gelu lives with the CLIP layer). */
export type Activation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';

export function activation(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'gelu': // exact: 0.5 x (1 + erf(x / sqrt 2))
      if (fusedKernelsActive()) return fusedGelu(x);
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    case 'relu':
      return tf.relu(x);
  }
}

/**
 * Inverted dropout whose mask is a hash of (site seed, element index) (random/dropoutMask.ts): drawn in the
 * shader on webgpu, built in JS and multiplied elsewhere; the same mask on every backend.
 */
export function dropout(x: tf.Tensor, rate: number, d: DropoutState): tf.Tensor {
  if (!(rate > 0)) return x;
  const mix = seedMix(d.next());
  if (fusedKernelsActive()) return fusedDropout(x, { mix, rate });
  return tf.mul(x, tf.tensor(dropoutMask(mix, x.size, rate), x.shape, 'float32'));
}
