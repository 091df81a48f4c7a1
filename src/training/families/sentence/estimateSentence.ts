/**
 * The estimate for a BERT-shaped text encoder (families/estimate.ts has the shared rules). Training uses
 * gradient checkpointing per layer (models/bert/checkpointedLayer.ts) whenever the tape would otherwise keep
 * more than 64 MiB (bert.ts checkpointPaysOff; below that the plain tape costs at most that much more), so it keeps one [texts, seq, hidden]
 * input per layer plus one layer's full activations (attention scores [texts, heads, seq, seq], the
 * intermediate [texts, seq, intermediate], ~10 hidden-sized tensors), doubled for their gradients.
 * Time: ~8 × parameters × tokens FLOPs per step (forward 2, backward 4, checkpoint recompute 2) plus attention.
 */
import { checkEstimateRequest, formatBytes as fmt, verdict, withGradCache, type EstimatePass } from '../estimate.ts';
import type { TextShape } from '../shapes.ts';

/** BERT parameter count (embeddings, encoder layers, pooler). */
export function bertParameters(m: TextShape, positions = m.positions ?? Math.max(512, m.maxSeqLength), typeVocab = m.typeVocab ?? 2): number {
  const H = m.hidden;
  const I = m.intermediate;
  const embeddings = (m.vocabSize + positions + typeVocab) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  return embeddings + m.layers * layer + H * H + H;
}

const estimateSentencePass: EstimatePass = (req, device, mini) => {
  const m = req.model as TextShape;
  checkEstimateRequest(req);
  const S = Math.min(req.seqLen ?? Math.min(m.maxSeqLength, 64), m.maxSeqLength);
  const texts = req.batchSize * (req.textsPerRow ?? 3);
  const tokens = texts * S;
  // GradCache holds one column's mini-batch of activations, plus every text's embedding and its gradient
  const passTexts = mini ? Math.min(mini, req.batchSize) : texts;
  const passTokens = passTexts * S;
  const P = bertParameters(m);
  const f = 4;
  const stateBytes = 16 * P;
  const layerActs = f * (passTexts * m.heads * S * S * 2 + passTokens * m.intermediate * 2 + 10 * passTokens * m.hidden);
  const activationBytes = f * m.layers * passTokens * m.hidden + 2 * layerActs + (mini ? 2 * f * texts * m.hidden : 0);
  const trainingBytes = stateBytes + activationBytes;
  const at = mini ? `batch ${req.batchSize} in mini-batches of ${mini}` : `batch ${req.batchSize}`;
  return verdict(
    {
      parameters: P,
      trainingBytes,
      buffers: {
        'the word-embedding table': f * m.vocabSize * m.hidden,
        'the attention scores': f * passTexts * m.heads * S * S,
        'the feed-forward activations': f * passTokens * m.intermediate,
      },
      // GradCache runs every forward twice: 10 instead of 8 × parameters × tokens
      flops: (mini ? 10 : 8) * (P - m.vocabSize * m.hidden) * tokens + (mini ? 5 : 4) * 4 * m.layers * texts * S * S * m.hidden,
      totalSteps: req.steps ?? (req.epochs ?? 1) * Math.ceil(req.rows / req.batchSize),
      bufferHint: ' (maxStorageBufferBindingSize/maxBufferSize); pick a smaller model or batch size',
      memoryReason: (budget) =>
        `training needs about ${fmt(trainingBytes)} (${(P / 1e6).toFixed(1)}M parameters: weights, gradients and AdamW state ${fmt(stateBytes)}, activations ${fmt(activationBytes)} at ${at}) but the ${device.backend} budget is ${budget}; pick a smaller model or batch size`,
      fitsReason: (budget) =>
        `about ${fmt(trainingBytes)} of ${budget} (${device.backend}), ${(P / 1e6).toFixed(1)}M parameters, ${texts} texts of ${S} tokens per step${mini ? ` (${at})` : ''}`,
    },
    device,
  );
};

/** With GradCache the largest mini-batch that fits (estimate.ts); without it the plain estimate. */
export const estimateSentenceRun = withGradCache(estimateSentencePass);
