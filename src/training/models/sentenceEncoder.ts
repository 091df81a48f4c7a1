import * as tf from '@tensorflow/tfjs';
import type { BertInputs, BertModel } from './bert/bert.ts';
import { l2normalize, pool } from './pooling.ts';
import type { SentenceConfig } from './sentenceConfig.ts';
import type { EncodedBatch, TextTokenizer } from './tokenizer.ts';
import { encodeInBatches, lengthOrder, type EncodeOptions } from './encodeInBatches.ts';

export interface SentenceEncoderParts {
  model: BertModel;
  tokenizer: TextTokenizer;
  config: SentenceConfig;
  /** config.json as read (exports write it back) */
  modelConfig: Record<string, unknown>;
  sourceId: string;
  /** training dropout; defaults to the model config's rates */
  dropout?: { hidden: number; attention: number };
}

export { EncodeAbortedError, type EncodeOptions } from './encodeInBatches.ts';

/** A sentence-transformers model: BERT + pooling (+ normalize), with the tokenizer that feeds it. */
export class SentenceEncoder {
  model: BertModel;
  tokenizer: TextTokenizer;
  config: SentenceConfig;
  modelConfig: Record<string, unknown>;
  sourceId: string;
  dropout: { hidden: number; attention: number };

  constructor(parts: SentenceEncoderParts) {
    this.model = parts.model;
    this.tokenizer = parts.tokenizer;
    this.config = parts.config;
    this.modelConfig = parts.modelConfig;
    this.sourceId = parts.sourceId;
    this.dropout = parts.dropout ?? {
      hidden: parts.model.config.hidden_dropout_prob,
      attention: parts.model.config.attention_probs_dropout_prob,
    };
  }

  /** int32 tensors for a tokenized batch; the caller disposes them. Checks ids against the vocabulary. */
  toInputs(batch: EncodedBatch): BertInputs {
    const { batchSize: B, seqLen: S } = batch;
    const vocab = this.model.config.vocab_size;
    const types = this.model.config.type_vocab_size;
    for (const [name, arr, limit] of [
      ['input id', batch.inputIds, vocab],
      ['token type id', batch.tokenTypeIds, types],
    ] as const) {
      if (arr.length !== B * S) throw new Error(`tokenizer returned ${arr.length} ${name}s for a ${B}x${S} batch`);
      for (let i = 0; i < arr.length; i++) {
        if (arr[i]! < 0 || arr[i]! >= limit) {
          throw new Error(`${name} ${arr[i]} is outside the model's range 0..${limit - 1} (tokenizer and config.json disagree)`);
        }
      }
    }
    return {
      inputIds: tf.tensor2d(batch.inputIds, [B, S], 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, [B, S], 'int32'),
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, [B, S], 'int32'),
    };
  }

  /** Sentence embeddings [texts.length, hidden] as a tensor on the caller's tape (the training path). */
  embedTexts(texts: string[], opts: { training: boolean; seed?: number }): tf.Tensor2D {
    if (texts.length === 0) throw new Error('embedTexts: no texts');
    const inputs = this.toInputs(this.tokenizer.encode(texts, this.config.maxSeqLength));
    try {
      return tf.tidy(() => {
        const hidden = this.model.forward(inputs, {
          training: opts.training,
          seed: opts.seed,
          hiddenDropout: this.dropout.hidden,
          attentionDropout: this.dropout.attention,
        });
        const pooled = pool(hidden, inputs.attentionMask, this.config.pooling);
        return this.config.normalize ? l2normalize(pooled) : pooled;
      });
    } finally {
      tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
    }
  }

  /**
   * Inference embeddings, one Float32Array per text in input order; texts are batched by length (less padding).
   * A Matryoshka `truncateDim` applies here (and re-normalizes), not in embedTexts, so training sees every dimension.
   */
  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const order = lengthOrder(texts);
    const d = this.config.truncateDim;
    return encodeInBatches(order, opts, 'texts', (idx) => {
      const full = this.embedTexts(
        idx.map((i) => texts[i]!),
        { training: false },
      );
      if (d === undefined) return full;
      return tf.tidy(() => {
        const prefix = tf.slice(full, [0, 0], [-1, d]);
        full.dispose();
        return this.config.normalize ? l2normalize(prefix) : prefix;
      });
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
