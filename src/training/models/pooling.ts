import * as tf from '@tensorflow/tfjs';

export type PoolingMode = 'mean' | 'cls' | 'max';

/**
 * sentence-transformers Pooling over last_hidden_state [B, S, H] with attention mask [B, S] -> [B, H]:
 * mean = masked sum / clamp(token count, 1e-9); cls = first token; max = max over tokens with padding
 * set to -1e9 (so an all-negative real row still wins over padding, as in sentence-transformers).
 */
export function pool(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D, mode: PoolingMode): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, S, H] = hidden.shape;
    switch (mode) {
      case 'cls':
        return tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, H]), [B, H]);
      case 'mean': {
        // The count reduces the 2-D mask over its innermost axis: on tfjs-webgpu a float cast of int32 data
        // shares the int buffer, and reducing it over a middle axis compiles a transpose shader that fails.
        const mf = tf.cast(attentionMask, 'float32');
        const sum = tf.sum(tf.mul(hidden, tf.expandDims(mf, 2)), 1);
        const count = tf.maximum(tf.sum(mf, 1, true), 1e-9);
        return tf.div(sum, count);
      }
      case 'max': {
        const keep = tf.expandDims(tf.cast(attentionMask, 'bool'), 2);
        const masked = tf.where(tf.broadcastTo(keep, [B, S, H]), hidden, tf.fill([B, S, H], -1e9));
        return tf.max(masked, 1);
      }
      default:
        throw new Error(`pooling mode "${mode as string}" is not supported (use mean, cls or max)`);
    }
  });
}

/** Row-wise x / max(||x||, 1e-12), as torch.nn.functional.normalize. */
export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, 1e-12));
  });
}
