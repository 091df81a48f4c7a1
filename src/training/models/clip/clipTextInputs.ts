import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch } from '../tokenizer.ts';
import type { ClipTextConfig } from './clipConfig.ts';

/** int32 [B, S] ids and mask as a tokenizer returns them, plus the float32 [B, S] one-hot of each row's EOS token. */
export interface ClipTextInputs {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  eosOneHot: tf.Tensor2D;
}

/**
 * Where CLIPTextTransformer pools each row: the first max id for legacy configs with eos_token_id 2 (the
 * original CLIP's EOT has the highest id, which those configs relied on), else the first eos_token_id.
 */
export function clipEosPositions(ids: Int32Array, B: number, S: number, c: Pick<ClipTextConfig, 'eos_token_id'>): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const row = ids.subarray(b * S, (b + 1) * S);
    let at = -1;
    if (c.eos_token_id === 2) {
      for (let s = 0; s < S; s++) if (at < 0 || row[s]! > row[at]!) at = s;
    } else {
      at = row.indexOf(c.eos_token_id);
    }
    if (at < 0) throw new Error(`CLIP text row ${b} has no end-of-text token (id ${c.eos_token_id}); the tokenizer and config.json disagree`);
    out.push(at);
  }
  return out;
}

/**
 * Tensors for a tokenized batch (the caller disposes them). The pooling position becomes a one-hot mask so the
 * pooled vector is sum(hidden * mask): gatherND, the direct translation, has no gradient in tfjs.
 */
export function clipTextInputs(batch: EncodedBatch, c: ClipTextConfig): ClipTextInputs {
  const { batchSize: B, seqLen: S, inputIds, attentionMask } = batch;
  if (inputIds.length !== B * S || attentionMask.length !== B * S) {
    throw new Error(`tokenizer returned ${inputIds.length} ids / ${attentionMask.length} mask values for a ${B}x${S} batch`);
  }
  if (S > c.max_position_embeddings) throw new Error(`CLIP text of ${S} tokens exceeds max_position_embeddings ${c.max_position_embeddings}`);
  for (let i = 0; i < inputIds.length; i++) {
    if (inputIds[i]! < 0 || inputIds[i]! >= c.vocab_size) {
      throw new Error(`input id ${inputIds[i]} is outside the model's range 0..${c.vocab_size - 1} (tokenizer and config.json disagree)`);
    }
  }
  const oneHot = new Float32Array(B * S);
  clipEosPositions(inputIds, B, S, c).forEach((s, b) => {
    oneHot[b * S + s] = 1;
  });
  return {
    inputIds: tf.tensor2d(inputIds, [B, S], 'int32'),
    attentionMask: tf.tensor2d(attentionMask, [B, S], 'int32'),
    eosOneHot: tf.tensor2d(oneHot, [B, S], 'float32'),
  };
}
