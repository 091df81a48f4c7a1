/**
 * The time/memory estimate and refusal for fine-tuning a CLIP model in the browser, from config.json alone
 * (before the weights are downloaded). Same accounting as sentence/estimateSentence.ts for BERT, per tower: fp32 weights, and
 * for the parameters that train, gradients plus AdamW m and v; activations of per-layer gradient
 * checkpointing (one [B, tokens, hidden] input per layer plus one layer's full activations, doubled for their
 * gradients). A locked tower keeps no gradients or optimizer state and, when fully frozen, no activations
 * for the backward pass either. The vision tower sees (image_size / patch_size)² + 1 tokens per image.
 */
import { checkEstimateRequest, formatBytes as fmt, verdict, withGradCache, type EstimatePass } from '../estimate.ts';
import type { ClipShape } from '../shapes.ts';

const layerParams = (D: number, I: number) => 4 * (D * D + D) + 2 * 2 * D + (D * I + I) + (I * D + D);

/** Parameter counts of HF CLIPModel: each tower's embeddings, encoder layers and norms, the two projections and logit_scale. */
export function clipParameters(m: ClipShape): { text: number; vision: number; textEmbedding: number; total: number } {
  const t = m.text;
  const v = m.vision;
  const patches = (v.imageSize / v.patchSize) ** 2;
  const textEmbedding = t.vocabSize * t.hidden;
  const text = textEmbedding + t.maxLength * t.hidden + t.layers * layerParams(t.hidden, t.intermediate) + 2 * t.hidden + t.hidden * m.projectionDim;
  const vision =
    3 * v.patchSize ** 2 * v.hidden +
    v.hidden +
    (patches + 1) * v.hidden +
    4 * v.hidden +
    v.layers * layerParams(v.hidden, v.intermediate) +
    v.hidden * m.projectionDim;
  return { text, vision, textEmbedding, total: text + vision + 1 };
}

/** Activation bytes of one tower under per-layer checkpointing (texts/images × tokens). */
function towerActivations(items: number, tokens: number, t: { hidden: number; layers: number; heads: number; intermediate: number }): number {
  const n = items * tokens;
  const layer = 4 * (items * t.heads * tokens * tokens * 2 + n * t.intermediate * 2 + 10 * n * t.hidden);
  return 4 * t.layers * n * t.hidden + 2 * layer;
}

const estimateClipPass: EstimatePass = (req, device, mini) => {
  const m = req.model as ClipShape;
  checkEstimateRequest(req);
  const B = req.batchSize;
  const passB = mini ? Math.min(mini, B) : B;
  // product captions are short: 32 tokens cover "{title} {supplier} {type}" for the Chorus catalogue
  const S = Math.min(m.text.maxLength, 32);
  const V = (m.vision.imageSize / m.vision.patchSize) ** 2 + 1;
  const p = clipParameters(m);
  const trainable = (req.lockText ? 0 : p.text) + (req.lockImage ? 0 : p.vision) + 1;
  const stateBytes = 4 * p.total + 12 * trainable;
  const activationBytes =
    (req.lockText ? 0 : towerActivations(passB, S, m.text)) +
    (req.lockImage ? 0 : towerActivations(passB, V, m.vision)) +
    4 * B * 3 * m.vision.imageSize ** 2 +
    (mini ? 2 * 2 * 4 * B * m.projectionDim : 0);
  const trainingBytes = stateBytes + activationBytes;
  // forward 2, backward 4, recompute 2 FLOPs per weight and token, plus attention; a frozen tower only runs
  // forward; GradCache runs a trained tower's forward once more
  const extra = mini ? 2 : 0;
  const towerFlops = (P: number, items: number, tokens: number, t: { layers: number; hidden: number }, frozen?: boolean) =>
    (frozen ? 2 : 8 + extra) * P * items * tokens + (frozen ? 4 : 16 + 2 * extra) * t.layers * items * tokens * tokens * t.hidden;
  const at = mini ? `batch ${B} in mini-batches of ${passB}` : `batch ${B}`;
  return verdict(
    {
      parameters: p.total,
      trainingBytes,
      buffers: {
        'the token-embedding table': 4 * p.textEmbedding,
        'the image attention scores': 4 * passB * m.vision.heads * V * V,
        'the image feed-forward activations': 4 * passB * V * m.vision.intermediate,
        'the batch of pixels': 4 * B * 3 * m.vision.imageSize ** 2,
      },
      flops: towerFlops(p.text - p.textEmbedding, B, S, m.text, req.lockText) + towerFlops(p.vision, B, V, m.vision, req.lockImage),
      totalSteps: req.steps ?? (req.epochs ?? 1) * Math.ceil(req.rows / B),
      bufferHint: '; pick a smaller model or batch size',
      memoryReason: (budget) =>
        `training needs about ${fmt(trainingBytes)} (${(p.total / 1e6).toFixed(1)}M parameters, ${(trainable / 1e6).toFixed(1)}M of them training: weights and AdamW state ${fmt(stateBytes)}, activations ${fmt(activationBytes)} at ${at}) but the ${device.backend} budget is ${budget}; lock a tower, or pick a smaller model or batch size`,
      fitsReason: (budget) =>
        `about ${fmt(trainingBytes)} of ${budget} (${device.backend}), ${(p.total / 1e6).toFixed(1)}M parameters (${(trainable / 1e6).toFixed(1)}M training), ${B} captions of ${S} tokens and ${B} images of ${V} patches per step${mini ? ` (${at})` : ''}`,
    },
    device,
  );
};

/**
 * With GradCache (the CLIP loss's mini-batches) the largest mini-batch that fits (estimate.ts): each tower's
 * activations are one mini-batch's, plus every caption's and image's embedding and its gradient.
 */
export const estimateClipRun = withGradCache(estimateClipPass);
