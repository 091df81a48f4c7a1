import * as tf from '@tensorflow/tfjs';
import { FLOAT32_MIN, layerNorm, type ParamGetter } from '../../nn/layers.ts';
import { embeddingLookup } from '../../nn/embeddingLookup.ts';
import { linearMatMul } from '../../nn/linearMatMul.ts';
import { readVariables } from '../readVariables.ts';
import type { TensorMap } from '../../weights/safetensors.ts';
import type { ClipConfig } from './clipConfig.ts';
import { checkpointedClipLayer, clipEncoderLayer } from './clipLayer.ts';
import { frozenClipParams, type ClipLocks } from './clipLocks.ts';
import type { ClipTextInputs } from './clipTextInputs.ts';
import { clipParamSpecs } from './clipWeights.ts';

export type { ClipLocks } from './clipLocks.ts';
export type { ClipTextInputs } from './clipTextInputs.ts';

export interface ClipForwardOptions {
  training: boolean;
  /** per-layer gradient checkpointing (default: on when training); see checkpointedLayer.ts */
  checkpoint?: boolean;
}

/** Hugging Face CLIPModel in tfjs: text and vision towers with their projections, and the logit scale. */
export class ClipModel {
  private constructor(
    readonly config: ClipConfig,
    /** HF CLIPModel names, logit_scale included */
    readonly params: Map<string, tf.Variable>,
  ) {}

  /** `weights` carry HF names (see normalizeClipNames); every parameter must be present. */
  static fromWeights(config: ClipConfig, weights: TensorMap): ClipModel {
    const params = new Map<string, tf.Variable>();
    try {
      for (const spec of clipParamSpecs(config)) {
        const t = weights.get(spec.name);
        if (!t) throw new Error(`ClipModel: weight "${spec.name}" is missing`);
        if (t.data.length !== spec.shape.reduce((a, b) => a * b, 1)) {
          throw new Error(`ClipModel: weight "${spec.name}" has shape [${t.shape}] but the config needs [${spec.shape}]`);
        }
        // unnamed variables: tfjs variable names are global and several models may coexist
        const init = tf.tensor(t.data, spec.shape, 'float32');
        params.set(spec.name, tf.variable(init, true));
        init.dispose();
      }
    } catch (e) {
      for (const v of params.values()) v.dispose();
      throw e;
    }
    return new ClipModel(config, params);
  }

  private readonly p: ParamGetter = (name) => {
    const v = this.params.get(name);
    if (!v) throw new Error(`ClipModel: no parameter "${name}"`);
    return v;
  };

  private layer(opts: ClipForwardOptions) {
    return opts.training && opts.checkpoint !== false ? checkpointedClipLayer : clipEncoderLayer;
  }

  /** CLIPTextModelWithProjection: last_hidden_state (after final_layer_norm) and the unnormalized text_embeds. */
  textOutputs(x: ClipTextInputs, opts: ClipForwardOptions): { lastHiddenState: tf.Tensor3D; textEmbeds: tf.Tensor2D } {
    const c = this.config.text;
    const [B, S] = x.inputIds.shape;
    if (S > c.max_position_embeddings) throw new Error(`ClipModel: text length ${S} exceeds max_position_embeddings ${c.max_position_embeddings}`);
    if (x.eosOneHot.shape.join(',') !== `${B},${S}`) throw new Error(`ClipModel: eosOneHot has shape [${x.eosOneHot.shape}], expected [${B},${S}]`);
    const p = this.p;
    const layer = this.layer(opts);
    return tf.tidy(() => {
      const D = c.hidden_size;
      const positions = tf.slice(p('text_model.embeddings.position_embedding.weight'), [0, 0], [S, D]);
      let h = tf.add(embeddingLookup(p('text_model.embeddings.token_embedding.weight') as tf.Tensor2D, x.inputIds), positions) as tf.Tensor3D;
      // transformers adds a causal mask (key j > query i) and the padding mask; either one alone already puts
      // float32 min on a score, so the minimum of the two equals their sum after softmax without reaching -inf
      const causal = new Float32Array(S * S);
      for (let i = 0; i < S; i++) causal.fill(FLOAT32_MIN, i * S + i + 1, (i + 1) * S);
      const padding = tf.reshape(tf.mul(tf.sub(1, tf.cast(x.attentionMask, 'float32')), FLOAT32_MIN), [B, 1, 1, S]);
      const maskAdd = tf.minimum(tf.tensor4d(causal, [1, 1, S, S]), padding);
      for (let l = 0; l < c.num_hidden_layers; l++) h = layer(h, maskAdd, c, p, `text_model.encoder.layers.${l}`);
      h = layerNorm(h, p, 'text_model.final_layer_norm', c.layer_norm_eps) as tf.Tensor3D;
      const pooled = tf.sum(tf.mul(h, tf.expandDims(x.eosOneHot, 2)), 1) as tf.Tensor2D;
      return { lastHiddenState: h, textEmbeds: linearMatMul(pooled, p('text_projection.weight') as tf.Tensor2D) };
    });
  }

  /** Projected text features [B, projection_dim], NOT normalized (normalize for similarity). */
  textFeatures(x: ClipTextInputs, opts: ClipForwardOptions): tf.Tensor2D {
    const { lastHiddenState, textEmbeds } = this.textOutputs(x, opts);
    lastHiddenState.dispose();
    return textEmbeds;
  }

  /**
   * CLIPVisionModelWithProjection on pixel_values [B, C, H, W]: last_hidden_state (encoder output, before
   * post_layernorm, as transformers returns it) and the unnormalized image_embeds.
   */
  imageOutputs(pixels: tf.Tensor4D, opts: ClipForwardOptions): { lastHiddenState: tf.Tensor3D; imageEmbeds: tf.Tensor2D } {
    const c = this.config.vision;
    const [B, C, H, W] = pixels.shape;
    if (C !== c.num_channels || H !== c.image_size || W !== c.image_size) {
      throw new Error(`ClipModel: pixel_values have shape [${pixels.shape}], expected [batch, ${c.num_channels}, ${c.image_size}, ${c.image_size}]`);
    }
    const p = this.p;
    const layer = this.layer(opts);
    return tf.tidy(() => {
      const P = c.patch_size;
      const g = c.image_size / P;
      const D = c.hidden_size;
      // Conv2d(stride = kernel = P) as a matMul over flattened patches (wasm has no conv2d gradient):
      // [B, C, gy, py, gx, px] -> [B, gy, gx, C, py, px] in two rank-4 transposes, then one row per patch
      // laid out channel-major like the Conv2d weight [D, C, P, P].
      const rows = tf.transpose(tf.reshape(pixels, [B * C * g, P, g, P]), [0, 2, 1, 3]);
      const patches = tf.reshape(tf.transpose(tf.reshape(rows, [B, C, g * g, P * P]), [0, 2, 1, 3]), [B * g * g, C * P * P]);
      const w = tf.reshape(p('vision_model.embeddings.patch_embedding.weight'), [D, C * P * P]) as tf.Tensor2D;
      const embedded = tf.reshape(linearMatMul(patches as tf.Tensor2D, w), [B, g * g, D]);
      const cls = tf.add(tf.zeros([B, 1, D]), tf.reshape(p('vision_model.embeddings.class_embedding'), [1, 1, D]));
      const positions = tf.expandDims(p('vision_model.embeddings.position_embedding.weight'), 0);
      let h = tf.add(tf.concat([cls, embedded], 1), positions) as tf.Tensor3D;
      h = layerNorm(h, p, 'vision_model.pre_layrnorm', c.layer_norm_eps) as tf.Tensor3D;
      for (let l = 0; l < c.num_hidden_layers; l++) h = layer(h, null, c, p, `vision_model.encoder.layers.${l}`);
      const pooled = layerNorm(tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, D]), [B, D]), p, 'vision_model.post_layernorm', c.layer_norm_eps);
      return { lastHiddenState: h, imageEmbeds: linearMatMul(pooled as tf.Tensor2D, p('visual_projection.weight') as tf.Tensor2D) };
    });
  }

  /** Projected image features [B, projection_dim], NOT normalized. */
  imageFeatures(pixels: tf.Tensor4D, opts: ClipForwardOptions): tf.Tensor2D {
    const { lastHiddenState, imageEmbeds } = this.imageOutputs(pixels, opts);
    lastHiddenState.dispose();
    return imageEmbeds;
  }

  /** The log of the contrastive temperature's inverse; logits = exp(logit_scale) * cosine similarity. */
  get logitScale(): tf.Variable {
    return this.params.get('logit_scale')!;
  }

  /** Clamps logit_scale to [0, ln 100] in place, as open_clip does after every optimizer step. */
  clampLogitScale(): void {
    const s = this.logitScale;
    tf.tidy(() => {
      s.assign(tf.clipByValue(s, 0, Math.log(100)));
    });
  }

  /** Applies open_clip-style tower locks (see ClipLocks); replaces any earlier locks. */
  setLocks(locks: ClipLocks): void {
    const frozen = frozenClipParams(this.config, locks);
    for (const [name, v] of this.params) v.trainable = !frozen.has(name);
  }

  /** The parameters the optimizer updates (all, minus what setLocks froze). */
  trainableParams(): Map<string, tf.Variable> {
    return new Map([...this.params].filter(([, v]) => v.trainable));
  }

  /** Current values under HF CLIPModel names (logit_scale as a 0-d tensor). */
  exportWeights(): Promise<TensorMap> {
    return readVariables(this.params);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
