import * as tf from '@tensorflow/tfjs';
import { readVariables } from '../readVariables.ts';
import type { BertConfig } from './bertConfig.ts';
import { bertParamSpecs } from './bertWeights.ts';
import { FLOAT32_MIN, dropout, layerNorm, type DropoutState, type ParamGetter } from '../../nn/layers.ts';
import { bertLayer } from './bertLayer.ts';
import { embeddingLookup } from '../../nn/embeddingLookup.ts';
import { checkpointedBertLayer } from './checkpointedLayer.ts';
import { Rng } from '../../random/rng.ts';
import { numel, type TensorMap } from '../../weights/safetensors.ts';

/** int32 [batch, seq] tensors, as a Hugging Face tokenizer returns them. */
export interface BertInputs {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
}

export interface ForwardOptions {
  training: boolean;
  /** defaults to config.hidden_dropout_prob; used only when training */
  hiddenDropout?: number;
  /** defaults to config.attention_probs_dropout_prob; used only when training */
  attentionDropout?: number;
  /** makes the dropout masks of a training step reproducible */
  seed?: number;
  /**
   * recompute each layer's forward in the backward pass instead of keeping its intermediates; costs about
   * one extra forward, saves most of the backward's memory. Default when training: on when the kept
   * intermediates would be large (`checkpointPaysOff`).
   */
  checkpoint?: boolean;
}

/** Above this much kept activation memory per forward, recomputing layers is worth its extra forward. */
export const CHECKPOINT_MIN_BYTES = 64 * 2 ** 20;

/**
 * Whether a training forward of B×S tokens should checkpoint its layers: an estimate of the float32
 * intermediates the tape keeps per layer (about ten [B,S,H] tensors, two [B,S,intermediate] ones and three
 * [B,heads,S,S] ones). A 2-layer, 128-wide model at batch 64 keeps a few MB, and skipping the recompute
 * makes its step about 20% faster; MiniLM-L6 at batch 16 × 32 tokens keeps about 100 MB and checkpoints.
 */
export function checkpointPaysOff(c: BertConfig, B: number, S: number): boolean {
  const perToken = 10 * c.hidden_size + 2 * c.intermediate_size + 3 * c.num_attention_heads * S;
  return B * S * perToken * 4 * c.num_hidden_layers > CHECKPOINT_MIN_BYTES;
}

export interface BertModelOptions {
  /**
   * int32 position ids [batch, seq] from the input ids, for encoders that number positions differently
   * (RoBERTa-family models count real tokens from padding_idx + 1); default 0..seq-1 in every row
   */
  positionIds?: (inputIds: tf.Tensor2D) => tf.Tensor;
}

/** Hugging Face BertModel (absolute positions, post-LayerNorm) in tfjs; `forward` returns last_hidden_state. */
export class BertModel {
  private constructor(
    readonly config: BertConfig,
    /** bare HF names (incl. the pooler, which forward does not use but exports keep) */
    readonly params: Map<string, tf.Variable>,
    private readonly opts: BertModelOptions = {},
  ) {}

  /**
   * Weights must carry bare HF names (see normalizeBertNames). A missing pooler is initialised the way
   * transformers would (normal(0, initializer_range), zero bias) so exported checkpoints stay complete.
   */
  static fromWeights(config: BertConfig, weights: TensorMap, opts: BertModelOptions = {}): BertModel {
    const params = new Map<string, tf.Variable>();
    const rng = new Rng(0x5eed);
    try {
      for (const spec of bertParamSpecs(config)) {
        let t = weights.get(spec.name);
        if (!t) {
          if (!spec.name.startsWith('pooler.')) throw new Error(`BertModel: weight "${spec.name}" is missing`);
          const data = new Float32Array(numel(spec.shape));
          if (spec.kind === 'linear') for (let i = 0; i < data.length; i++) data[i] = rng.normal() * config.initializer_range;
          t = { shape: spec.shape, data };
        }
        if (t.shape.join(',') !== spec.shape.join(',')) {
          throw new Error(`BertModel: weight "${spec.name}" has shape [${t.shape}] but the config needs [${spec.shape}]`);
        }
        // Unnamed variables: tfjs variable names are global, and several models may coexist.
        const trainable = !spec.name.startsWith('pooler.');
        const init = tf.tensor(t.data, spec.shape, 'float32');
        params.set(spec.name, tf.variable(init, trainable));
        init.dispose(); // the variable holds its own reference to the data
      }
    } catch (e) {
      for (const v of params.values()) v.dispose();
      throw e;
    }
    return new BertModel(config, params, opts);
  }

  forward(x: BertInputs, opts: ForwardOptions): tf.Tensor3D {
    const c = this.config;
    const [B, S] = x.inputIds.shape;
    if (S > c.max_position_embeddings) {
      throw new Error(`BertModel: sequence length ${S} exceeds max_position_embeddings ${c.max_position_embeddings}`);
    }
    const p: ParamGetter = (name) => {
      const v = this.params.get(name);
      if (!v) throw new Error(`BertModel: no parameter "${name}"`);
      return v;
    };
    let site = 0;
    const d: DropoutState | null = opts.training
      ? {
          hidden: opts.hiddenDropout ?? c.hidden_dropout_prob,
          attention: opts.attentionDropout ?? c.attention_probs_dropout_prob,
          // one distinct, reproducible seed per dropout site; unseeded falls back to Math.random
          next: () => (opts.seed === undefined ? undefined : `${opts.seed}:${site++}`),
        }
      : null;
    return tf.tidy(() => {
      const positions = this.opts.positionIds ? this.opts.positionIds(x.inputIds) : tf.range(0, S, 1, 'int32');
      const emb = tf.add(
        tf.add(
          embeddingLookup(p('embeddings.word_embeddings.weight') as tf.Tensor2D, x.inputIds),
          embeddingLookup(p('embeddings.position_embeddings.weight') as tf.Tensor2D, positions),
        ),
        embeddingLookup(p('embeddings.token_type_embeddings.weight') as tf.Tensor2D, x.tokenTypeIds),
      );
      let h = layerNorm(emb, p, 'embeddings.LayerNorm', c.layer_norm_eps) as tf.Tensor3D;
      if (d) h = dropout(h, d.hidden, d) as tf.Tensor3D;
      const maskAdd = tf.reshape(tf.mul(tf.sub(1, tf.cast(x.attentionMask, 'float32')), FLOAT32_MIN), [B, 1, 1, S]);
      const checkpoint = opts.checkpoint ?? checkpointPaysOff(c, B, S);
      const layer = opts.training && checkpoint ? checkpointedBertLayer : bertLayer;
      for (let l = 0; l < c.num_hidden_layers; l++) h = layer(h, maskAdd, c, p, `encoder.layer.${l}`, d);
      return h;
    });
  }

  /** Everything the fine-tuning loss reaches (the pooler is not used by sentence embeddings). */
  trainableParams(): Map<string, tf.Variable> {
    return new Map([...this.params].filter(([name]) => !name.startsWith('pooler.')));
  }

  /** Current values under bare HF names, pooler included. */
  exportWeights(): Promise<TensorMap> {
    return readVariables(this.params);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
