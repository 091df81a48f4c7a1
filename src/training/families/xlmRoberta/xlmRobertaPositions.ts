/**
 * RobertaEmbeddings' position ids (transformers' create_position_ids_from_input_ids), in tfjs for training
 * and as ONNX nodes for the export: each non-pad token gets padding_idx + its 1-based rank among the row's
 * non-pad tokens, every pad token gets padding_idx. With right padding the real tokens sit at
 * padding_idx + 1, padding_idx + 2, …, so BERT's 0..S-1 would read the wrong rows of the table.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, type OnnxGraphBuilder } from '../../export/onnx/graphBuilder.ts';
import type { BertConfig } from '../../models/bert/bertConfig.ts';
import type { ShapeExtras } from '../sentence/inspectSentence.ts';

/** The longest sequence (special tokens included) the table can number: its first padding_idx + 1 rows are never read. */
export function usablePositions(config: BertConfig): number {
  return config.max_position_embeddings - config.pad_token_id - 1;
}

/** What the estimate and the UI need: 514 rows hold 512 tokens, and a single token type. */
export function xlmRobertaShapeExtras(config: BertConfig): ShapeExtras {
  return { usablePositions: usablePositions(config), positions: config.max_position_embeddings, typeVocab: config.type_vocab_size };
}

/** Position ids [batch, seq] (int32) for BertModel's `positionIds` option. */
export function xlmRobertaPositionIds(config: BertConfig): (inputIds: tf.Tensor2D) => tf.Tensor2D {
  const pad = config.pad_token_id;
  const limit = usablePositions(config);
  return (inputIds) => {
    const S = inputIds.shape[1];
    if (S > limit) {
      throw new Error(
        `XLM-RoBERTa: sequence length ${S} exceeds the ${limit} positions of max_position_embeddings ${config.max_position_embeddings}`,
      );
    }
    return tf.tidy(() => {
      // float32 counts are exact far beyond any sequence length, and every backend has a float cumsum
      const real = tf.cast(tf.notEqual(inputIds, pad), 'float32');
      return tf.cast(tf.add(tf.mul(tf.cumsum(real, 1), real), pad), 'int32') as tf.Tensor2D;
    });
  };
}

/** The same ids as int64 ONNX nodes on `input_ids` (for buildBertOnnx's `positionIds` option). */
export function xlmRobertaOnnxPositionIds(config: BertConfig): (g: OnnxGraphBuilder, inputIds: string) => string {
  const pad = config.pad_token_id;
  return (g, inputIds) => {
    const f = (v: number) => g.constant('float32', [v], []);
    const isPad = g.op('Equal', [inputIds, g.constant('int64', [pad], [])]);
    const real = g.op('Where', [isPad, f(0), f(1)]);
    const rank = g.op('CumSum', [real, g.constant('int64', [1], [])]);
    return g.op('Cast', [g.op('Add', [g.op('Mul', [rank, real]), f(pad)])], { to: attr.int(7) }); // 7 = int64
  };
}
