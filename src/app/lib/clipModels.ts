/**
 * The CLIP base models offered in Configure, the kata's CLIP preset, and the "from scratch" tiny CLIP.
 * Shapes are given only where they are certain (openai/clip-vit-base-patch32's config.json); the others are
 * read from the Hub's config.json (a few hundred bytes) before the estimate, never guessed.
 */
import { clipTrainDefaults } from '../../training/train/trainDefaults.ts';
import type { ClipShape } from '../../lab/api/clipRequest.ts';

export interface CuratedClipModel {
  id: string;
  note: string;
  shape?: ClipShape;
}

export const curatedClipModels: CuratedClipModel[] = [
  {
    id: 'wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M',
    note: 'TinyCLIP: an 8M-parameter ViT-16 image tower and a 3M text tower distilled from OpenAI CLIP; trains quickly in a browser',
  },
  {
    id: 'openai/clip-vit-base-patch32',
    note: 'OpenAI CLIP ViT-B/32, 151M parameters, 512-d: the reference CLIP; slow to fine-tune in a browser',
    shape: {
      text: { hidden: 512, layers: 12, heads: 8, intermediate: 2048, vocabSize: 49408, maxLength: 77 },
      vision: { hidden: 768, layers: 12, heads: 12, intermediate: 3072, imageSize: 224, patchSize: 32 },
      projectionDim: 512,
    },
  },
];

/**
 * The kata's starting point for CLIP (open_clip fine-tuning): AdamW at a small lr so the pretrained alignment
 * survives, weight decay 0.1, 10% warmup then cosine, batch 8 (what a browser holds with ViT-B/32).
 */
export const clipPreset = {
  lr: clipTrainDefaults.lr!,
  batchSize: clipTrainDefaults.batchSize!,
  weightDecay: clipTrainDefaults.weightDecay!,
  warmupRatio: clipTrainDefaults.warmupRatio!,
  scheduler: clipTrainDefaults.scheduler!,
  epochs: 1,
  maxGradNorm: 1,
};

/** Random weights need a much larger step than the pretrained preset. */
export const clipScratchLr = 5e-4;

/** A fresh tiny CLIP (both towers), small enough to train from scratch offline within minutes. */
export const clipScratchDefaults = { hidden: 64, layers: 2, heads: 4, imageSize: 64, patchSize: 16, projectionDim: 64 };
export type ClipScratch = typeof clipScratchDefaults;

/** The shape of a scratch CLIP for the estimate (its tokenizer is learned from the corpus: 1,000 merges at most). */
export function clipScratchShape(s: ClipScratch): ClipShape {
  const tower = { hidden: s.hidden, layers: s.layers, heads: s.heads, intermediate: 4 * s.hidden };
  return {
    text: { ...tower, vocabSize: 1514, maxLength: 77 },
    vision: { ...tower, imageSize: s.imageSize, patchSize: s.patchSize },
    projectionDim: s.projectionDim,
  };
}
