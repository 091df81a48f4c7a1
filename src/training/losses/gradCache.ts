import * as tf from '@tensorflow/tfjs';
import type { ValueAndGrads } from './loss.ts';

/**
 * The GradCache step (Gao et al. 2021) for any loss over per-column embeddings:
 *   1. every column embedded per mini-batch without a tape (only the B × dim embeddings stay);
 *   2. the loss on the full embeddings, its gradient with respect to them, and with respect to the
 *      variables the loss reads directly (CLIP's logit scale);
 *   3. each mini-batch embedded again under a tape and back-propagated with its slice of that gradient
 *      (the gradient of Σ embedding · cached gradient), the parameter gradients summed.
 * Step 3's sum is exactly ∂loss/∂θ through the towers, so the update is the plain loss's while peak memory
 * is one mini-batch's activations. `embed(column, chunk)` must be deterministic (same dropout seed) so both
 * passes see the same function.
 */
export interface GradCacheSpec {
  /** how many columns (text, positive, negative; or text, image) */
  columns: number;
  /** [start, end) rows of each mini-batch */
  chunks: readonly [number, number][];
  embed(column: number, chunk: number): tf.Tensor2D;
  loss(embeddings: tf.Tensor2D[]): tf.Scalar;
  /** variables the loss uses besides the embeddings, differentiated in step 2 */
  direct?: tf.Variable[];
}

/** [start, end) of each mini-batch. */
export function miniBatches(n: number, size: number): [number, number][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`mini-batch size must be a positive integer, got ${size}`);
  const out: [number, number][] = [];
  for (let a = 0; a < n; a += size) out.push([a, Math.min(n, a + size)]);
  return out;
}

/** Every column's embeddings, concatenated over the mini-batches (no tape when called outside one). */
export function embedAll(spec: GradCacheSpec): tf.Tensor2D[] {
  return Array.from({ length: spec.columns }, (_, col) => tf.tidy(() => tf.concat(spec.chunks.map((_, c) => spec.embed(col, c)))));
}

function accumulate(acc: tf.NamedTensorMap, grads: tf.NamedTensorMap) {
  for (const [name, grad] of Object.entries(grads)) {
    const prev = acc[name];
    acc[name] = prev ? tf.add(prev, grad) : grad;
    if (prev) tf.dispose([prev, grad]);
  }
}

export function gradCache(spec: GradCacheSpec, vars: tf.Variable[]): ValueAndGrads {
  const full = embedAll(spec);
  const acc: tf.NamedTensorMap = {};
  const direct = (spec.direct ?? []).filter((v) => vars.includes(v));
  let value: tf.Scalar | undefined;
  let embGrads: tf.Tensor[] = [];
  try {
    ({ value, grads: embGrads } = tf.valueAndGrads((...e: tf.Tensor[]) => spec.loss(e as tf.Tensor2D[]))(full));
    if (direct.length) {
      const d = tf.variableGrads(() => spec.loss(full), direct);
      d.value.dispose();
      accumulate(acc, d.grads);
    }
    for (let col = 0; col < spec.columns; col++) {
      spec.chunks.forEach(([a, b], c) => {
        const g = embGrads[col]!.slice([a, 0], [b - a, -1]);
        const step = tf.variableGrads(() => tf.sum(tf.mul(spec.embed(col, c), g)) as tf.Scalar, vars);
        g.dispose();
        step.value.dispose();
        accumulate(acc, step.grads);
      });
    }
  } catch (e) {
    tf.dispose([...(value ? [value] : []), ...Object.values(acc)]);
    throw e;
  } finally {
    tf.dispose([...full, ...embGrads]);
  }
  return { value: value!, grads: acc };
}
