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
      tf.scatterND(saved[0]!, tf.reshape(dy, [-1, dim]), [rows, dim]);
    return { value, gradFunc };
  });
  return lookup(table);
}
