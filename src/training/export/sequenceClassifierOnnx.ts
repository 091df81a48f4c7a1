import type { BertConfig } from '../models/bert/bertConfig.ts';
import type { SequenceClassifier } from '../models/sequenceClassifier.ts';
import { readVariables } from '../models/readVariables.ts';
import type { TensorMap } from '../weights/safetensors.ts';
import { DYN, buildBertEncoderGraph, ftlabOnnxModel } from './bertOnnx.ts';
import { attr } from './onnx/graphBuilder.ts';

/**
 * Hugging Face BertForSequenceClassification as one ONNX graph in the layout transformers.js'
 * AutoModelForSequenceClassification (and optimum's ORTModelForSequenceClassification) run: int64
 * input_ids, attention_mask, token_type_ids -> `logits` [batch_size, num_labels] =
 * classifier(tanh(pooler.dense(last_hidden_state[:, 0]))). `weights` holds bare BertModel names (pooler
 * included) plus classifier.weight [num_labels, hidden] and classifier.bias.
 */
export function buildSequenceClassifierOnnx(config: BertConfig, weights: TensorMap): Uint8Array {
  const H = config.hidden_size;
  const w = weights.get('classifier.weight');
  const b = weights.get('classifier.bias');
  if (!w || !b) throw new Error('ONNX export: the sequence classifier needs classifier.weight and classifier.bias');
  if (w.shape.length !== 2 || w.shape[1] !== H || b.shape[0] !== w.shape[0]) {
    throw new Error(`ONNX export: classifier.weight [${w.shape}] / classifier.bias [${b.shape}] do not fit hidden_size ${H}`);
  }
  const numLabels = w.shape[0]!;
  const { g, hidden, linear } = buildBertEncoderGraph('ftlab_bert_sequence_classifier', config, weights, 'last_hidden_state');
  g.scope = 'pooler';
  const cls = g.op('Gather', [hidden, g.constant('int64', [0], [])], { axis: attr.int(1) });
  const pooled = g.op('Tanh', [linear(cls, 'pooler.dense')]);
  g.scope = 'classifier';
  const logits = linear(pooled, 'classifier');
  g.op('Identity', [logits], {}, 'logits');
  g.output('logits', 'float32', [DYN[0], numLabels]);
  return g.serialize(
    ftlabOnnxModel(
      `BertForSequenceClassification (${config.num_hidden_layers} layers, hidden ${H}, ${numLabels} label${numLabels === 1 ? '' : 's'})`,
    ),
  );
}

/** The graph of a tfjs cross-encoder's current weights (the export's onnx/model.onnx, and its ORT scoring). */
export async function sequenceClassifierGraph(model: SequenceClassifier): Promise<Uint8Array> {
  const bare: TensorMap = await model.bert.exportWeights();
  for (const [name, t] of await readVariables(model.head)) bare.set(name, t);
  return buildSequenceClassifierOnnx(model.bert.config, bare);
}
