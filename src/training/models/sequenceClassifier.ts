import * as tf from '@tensorflow/tfjs';
import { readVariables } from './readVariables.ts';
import type { BertConfig } from './bert/bertConfig.ts';
import { BertModel, type BertInputs } from './bert/bert.ts';
import { linear, type ParamGetter } from '../nn/layers.ts';
import { normalizeBertNames } from './bert/bertWeights.ts';
import type { TensorMap } from '../weights/safetensors.ts';

const classifierNames = ['classifier.weight', 'classifier.bias'] as const;

/**
 * Hugging Face BertForSequenceClassification in tfjs, inference only: BertModel, pooler tanh(dense([CLS]))
 * and the classifier linear layer; `logits` returns [batch, num_labels] raw logits (dropout is off).
 */
export class SequenceClassifier {
  private constructor(
    readonly bert: BertModel,
    /** classifier.weight [num_labels, hidden] and classifier.bias [num_labels] */
    readonly head: Map<string, tf.Variable>,
  ) {}

  get numLabels(): number {
    return this.head.get('classifier.bias')!.shape[0]!;
  }

  /**
   * `tensors` as stored by transformers (`bert.` prefix, `classifier.*`). A checkpoint without the pooler
   * or the classifier is no cross-encoder: random values there would give meaningless scores, so it fails.
   */
  static fromTensors(config: BertConfig, tensors: TensorMap, source = 'model.safetensors'): { model: SequenceClassifier; unused: string[] } {
    const { weights, unused } = normalizeBertNames(tensors, config, source);
    const missing = ['pooler.dense.weight', 'pooler.dense.bias'].filter((n) => !weights.has(n));
    missing.push(...classifierNames.filter((n) => !tensors.has(n)));
    if (missing.length) {
      throw new Error(
        `${source}: missing ${missing.join(', ')}; a cross-encoder is a BertForSequenceClassification checkpoint ` +
          `(bert.* with bert.pooler.dense, classifier.weight and classifier.bias)`,
      );
    }
    const w = tensors.get('classifier.weight')!;
    const b = tensors.get('classifier.bias')!;
    if (w.shape.length !== 2 || w.shape[1] !== config.hidden_size || b.shape.length !== 1 || b.shape[0] !== w.shape[0]) {
      throw new Error(`${source}: classifier.weight [${w.shape}] / classifier.bias [${b.shape}] do not fit hidden_size ${config.hidden_size}`);
    }
    const bert = BertModel.fromWeights(config, weights);
    const head = new Map<string, tf.Variable>();
    for (const name of classifierNames) {
      const t = tensors.get(name)!;
      const init = tf.tensor(t.data, t.shape, 'float32');
      head.set(name, tf.variable(init, false));
      init.dispose();
    }
    return { model: new SequenceClassifier(bert, head), unused: unused.filter((n) => !(classifierNames as readonly string[]).includes(n)) };
  }

  logits(x: BertInputs): tf.Tensor2D {
    const p: ParamGetter = (name) => {
      const v = this.head.get(name) ?? this.bert.params.get(name);
      if (!v) throw new Error(`SequenceClassifier: no parameter "${name}"`);
      return v;
    };
    return tf.tidy(() => {
      const h = this.bert.forward(x, { training: false });
      const [B, , H] = h.shape;
      const cls = tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, H]), [B, H]);
      const pooled = tf.tanh(linear(cls, p, 'pooler.dense'));
      return linear(pooled, p, 'classifier') as tf.Tensor2D;
    });
  }

  /** The checkpoint as transformers saves it: `bert.*` plus `classifier.*`. */
  async exportTensors(): Promise<TensorMap> {
    const out: TensorMap = new Map();
    for (const [name, t] of await this.bert.exportWeights()) out.set(`bert.${name}`, t);
    for (const [name, t] of await readVariables(this.head)) out.set(name, t);
    return out;
  }

  dispose(): void {
    this.bert.dispose();
    for (const v of this.head.values()) v.dispose();
    this.head.clear();
  }
}
