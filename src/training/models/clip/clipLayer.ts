import * as tf from '@tensorflow/tfjs';
import { attention } from '../../nn/attention.ts';
import { activation, layerNorm, linear, type ParamGetter } from '../../nn/layers.ts';
import type { ClipTowerConfig } from './clipConfig.ts';
import { clipLayerParamNames } from './clipWeights.ts';

/** transformers ACT2FN for the activations CLIP configs use; quick_gelu(x) = x * sigmoid(1.702 x). */
export function clipActivation(x: tf.Tensor, act: ClipTowerConfig['hidden_act']): tf.Tensor {
  return act === 'quick_gelu' ? tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) : activation(x, act);
}

/**
 * One pre-LayerNorm CLIPEncoderLayer: h + out_proj(attn(layer_norm1(h))), then h + fc2(act(fc1(layer_norm2(h)))).
 * `maskAdd` is [B, 1, S, S] (0 or FLOAT32_MIN; the text tower's causal + padding mask) or null (vision).
 * CLIP's attention dropout defaults to 0 and ftlab trains without it, so there is none here.
 */
export function clipEncoderLayer(h: tf.Tensor3D, maskAdd: tf.Tensor | null, c: ClipTowerConfig, p: ParamGetter, prefix: string): tf.Tensor3D {
  const x = layerNorm(h, p, `${prefix}.layer_norm1`, c.layer_norm_eps);
  const proj = (name: string) => linear(x, p, `${prefix}.self_attn.${name}`) as tf.Tensor3D;
  const ctx = attention(proj('q_proj'), proj('k_proj'), proj('v_proj'), maskAdd, { heads: c.num_attention_heads, scaleQuery: true });
  const a = tf.add(h, linear(ctx, p, `${prefix}.self_attn.out_proj`));
  const y = layerNorm(a, p, `${prefix}.layer_norm2`, c.layer_norm_eps);
  const f = linear(clipActivation(linear(y, p, `${prefix}.mlp.fc1`), c.hidden_act), p, `${prefix}.mlp.fc2`);
  return tf.add(a, f) as tf.Tensor3D;
}

/**
 * clipEncoderLayer with gradient checkpointing (see checkpointedLayer.ts for why tfjs needs it): one tape node
 * whose gradient re-runs the layer forward and differentiates it locally. The mask is a customGrad input (not
 * closed over) so the tape keeps it alive until the backward pass; its gradient is zero.
 */
export function checkpointedClipLayer(h: tf.Tensor3D, maskAdd: tf.Tensor | null, c: ClipTowerConfig, p: ParamGetter, prefix: string): tf.Tensor3D {
  const names = clipLayerParamNames(prefix);
  const hasMask = maskAdd !== null;
  const run = (x: tf.Tensor, mask: tf.Tensor | null, ps: tf.Tensor[]) => {
    const get: ParamGetter = (name) => {
      const i = names.indexOf(name);
      if (i < 0) throw new Error(`checkpointedClipLayer: no parameter "${name}"`);
      return ps[i]!;
    };
    return clipEncoderLayer(x as tf.Tensor3D, mask, c, get, prefix);
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    save(inputs);
    const [x, ...rest] = inputs;
    const mask = hasMask ? rest.shift()! : null;
    return {
      value: run(x!, mask, rest),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ...others] = saved;
        const ms = hasMask ? others.shift()! : null;
        // As in checkpointedBertLayer: a nested gradients() call during the outer backward pass replaces and
        // clears the engine's active tape, which the outer pass still needs.
        const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
        const outerTape = state.activeTape;
        let grads: tf.Tensor[];
        try {
          grads = tf.grads((...ins: tf.Tensor[]) => run(ins[0]!, ms, ins.slice(1)))([xs!, ...others], dy);
        } finally {
          state.activeTape = outerTape;
        }
        return [grads[0]!, ...(ms ? [tf.zerosLike(ms)] : []), ...grads.slice(1)];
      },
    };
  });
  return f(h, ...(maskAdd ? [maskAdd] : []), ...names.map(p)) as tf.Tensor3D;
}
