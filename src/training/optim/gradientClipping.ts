import * as tf from '@tensorflow/tfjs';

export interface ClipResult {
  /** total L2 norm of all gradients before clipping (what HF logs as grad_norm) */
  norm: number;
  /** the (possibly scaled) gradients: new tensors when clipped, the inputs otherwise */
  grads: Map<string, tf.Tensor>;
  clipped: boolean;
}

/**
 * torch.nn.utils.clip_grad_norm_, in two halves so the norm can be read back with the loss: gradNorm is
 * total = sqrt(sum of squared grads over every parameter) as a tensor, scaleGrads applies
 * coef = maxNorm / (total + 1e-6) only when coef < 1. maxNorm <= 0 disables clipping; a non-finite norm
 * leaves the gradients alone (the caller stops).
 */
export function gradNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    // Summed one add at a time, in parameter order (what addN does on cpu/wasm): tfjs-webgpu's AddN binds
    // every input to one shader, and with more inputs than maxStorageBuffersPerShaderStage (8 by default)
    // the dispatch fails silently and the readback returns a recycled buffer's stale contents.
    return tf.sqrt(squares.length ? squares.reduce((a, b) => tf.add(a, b)) : tf.scalar(0)) as tf.Scalar;
  });
}

/** The gradients scaled by maxNorm / (norm + 1e-6) when that is below 1; the inputs stay the caller's. */
export function scaleGrads(grads: Map<string, tf.Tensor>, norm: number, maxNorm: number): ClipResult {
  const coef = maxNorm / (norm + 1e-6);
  if (!(maxNorm > 0) || !Number.isFinite(norm) || !(coef < 1)) return { norm, grads, clipped: false };
  const out = new Map<string, tf.Tensor>();
  const c = tf.scalar(coef);
  for (const [name, g] of grads) {
    out.set(name, tf.mul(g, c));
  }
  c.dispose();
  return { norm, grads: out, clipped: true };
}
