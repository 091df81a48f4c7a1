/**
 * The estimate for a BERT-shaped text encoder (families/estimate.ts has the shared rules). Training uses
 * gradient checkpointing per layer (models/bert/checkpointedLayer.ts), so it keeps one [texts, seq, hidden]
 * input per layer plus one layer's full activations (attention scores [texts, heads, seq, seq], the
 * intermediate [texts, seq, intermediate], ~10 hidden-sized tensors), doubled for their gradients.
 * Time: ~8 × parameters × tokens FLOPs per step (forward 2, backward 4, checkpoint recompute 2) plus attention.
 */
import { checkEstimateRequest, formatBytes as fmt, verdict, type DeviceLimits, type Estimate, type EstimateRequest } from '../estimate.ts';
import type { TextShape } from '../shapes.ts';

/** BERT parameter count (embeddings, encoder layers, pooler). */
export function bertParameters(m: TextShape, positions = m.positions ?? Math.max(512, m.maxSeqLength), typeVocab = m.typeVocab ?? 2): number {
  const H = m.hidden;
  const I = m.intermediate;
  const embeddings = (m.vocabSize + positions + typeVocab) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  return embeddings + m.layers * layer + H * H + H;
}

export function estimateSentenceRun(req: EstimateRequest, device: DeviceLimits): Estimate {
  const m = req.model as TextShape;
  checkEstimateRequest(req);
  const S = Math.min(req.seqLen ?? Math.min(m.maxSeqLength, 64), m.maxSeqLength);
  const texts = req.batchSize * (req.textsPerRow ?? 3);
  const tokens = texts * S;
  const P = bertParameters(m);
  const f = 4;
  const stateBytes = 16 * P;
  const layerActs = f * (texts * m.heads * S * S * 2 + tokens * m.intermediate * 2 + 10 * tokens * m.hidden);
  const activationBytes = f * m.layers * tokens * m.hidden + 2 * layerActs;
  const trainingBytes = stateBytes + activationBytes;
  return verdict(
    {
      parameters: P,
      trainingBytes,
      buffers: {
        'the word-embedding table': f * m.vocabSize * m.hidden,
        'the attention scores': f * texts * m.heads * S * S,
        'the feed-forward activations': f * tokens * m.intermediate,
      },
      flops: 8 * (P - m.vocabSize * m.hidden) * tokens + 4 * 4 * m.layers * texts * S * S * m.hidden,
      totalSteps: req.steps ?? (req.epochs ?? 1) * Math.ceil(req.rows / req.batchSize),
      bufferHint: ' (maxStorageBufferBindingSize/maxBufferSize); pick a smaller model or batch size',
      memoryReason: (budget) =>
        `training needs about ${fmt(trainingBytes)} (${(P / 1e6).toFixed(1)}M parameters: weights, gradients and AdamW state ${fmt(stateBytes)}, activations ${fmt(activationBytes)} at batch ${req.batchSize}) but the ${device.backend} budget is ${budget}; pick a smaller model or batch size`,
      fitsReason: (budget) =>
        `about ${fmt(trainingBytes)} of ${budget} (${device.backend}), ${(P / 1e6).toFixed(1)}M parameters, ${texts} texts of ${S} tokens per step`,
    },
    device,
  );
}
