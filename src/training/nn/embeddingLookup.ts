import * as tf from '@tensorflow/tfjs';

/**
 * `table[ids]` for an integer id tensor of any shape -> [...ids.shape, dim].
 *
 * tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks, and tf.gatherND has no
 * gradient at all, so the backward pass is written here as tf.scatterND over the flattened ids:
 * scatterND sums the rows of repeated ids, which is exactly the embedding-table gradient.
 * The ids are closed over (not a customGrad input) because an int32 input would need a float32 zero grad.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingLookup: ids must be int32, got ${ids.dtype}`);
  const [rows, dim] = table.shape;
  const outShape = [...ids.shape, dim];
  // tfjs types customGrad's arguments as a single (Tensor | GradSaveFunc)[] rest list.
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const flat = tf.reshape(ids, [-1, 1]) as tf.Tensor2D;
    // save() is a no-op when no tape is recording, so inference keeps nothing alive.
    save([flat]);
    const value = tf.reshape(tf.gather(t, tf.reshape(flat, [-1])), outShape);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.getBackend() === 'webgpu'
        ? deterministicScatterRows(saved[0]! as tf.Tensor2D, tf.reshape(dy, [-1, dim]) as tf.Tensor2D, rows)
        : tf.scatterND(saved[0]!, tf.reshape(dy, [-1, dim]), [rows, dim]);
    return { value, gradFunc };
  });
  return lookup(table);
}

/**
 * scatterND(ids, updates) with a reproducible result on WebGPU, whose ScatterNd adds duplicate ids with float
 * atomics in whatever order the GPU runs them (so two identical training steps could differ in the last bits,
 * and a resumed run would drift from an uninterrupted one). Here the rows of each id are summed first by a
 * matMul with an id-equality matrix (a fixed summation order), only the first occurrence of each id keeps
 * its sum and the others become zeros, so the atomic adds that remain are exact (x + 0 = x).
 * Cost: an [N, N] x [N, dim] matMul for N ids (done in row blocks to bound the equality matrix).
 */
function deterministicScatterRows(flat: tf.Tensor2D, updates: tf.Tensor2D, rows: number): tf.Tensor {
  const n = flat.shape[0];
  const dim = updates.shape[1];
  const ids = tf.reshape(flat, [-1]) as tf.Tensor1D;
  const colIds = tf.reshape(ids, [1, n]);
  const colIdx = tf.reshape(tf.range(0, n, 1, 'int32'), [1, n]);
  const block = Math.max(1, Math.min(n, Math.floor(2 ** 22 / n)));
  const parts: tf.Tensor[] = [];
  for (let s = 0; s < n; s += block) {
    const m = Math.min(block, n - s);
    const rowIds = tf.reshape(tf.slice(ids, [s], [m]), [m, 1]);
    const same = tf.equal(rowIds, colIds);
    const sums = tf.matMul(tf.cast(same, 'float32'), updates);
    const rowIdx = tf.reshape(tf.range(s, s + m, 1, 'int32'), [m, 1]);
    const earlier = tf.cast(tf.logicalAnd(same, tf.less(colIdx, rowIdx)), 'float32');
    const first = tf.sub(1, tf.max(earlier, 1, true));
    parts.push(tf.mul(sums, first));
  }
  return tf.scatterND(flat, parts.length === 1 ? parts[0]! : tf.concat(parts, 0), [rows, dim]);
}
