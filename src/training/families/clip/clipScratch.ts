/**
 * The lab's "tiny CLIP from scratch": a freshly initialised CLIPModel whose byte-level BPE merges are learned
 * from the corpus texts, so CLIP mode runs fully offline and shows what pretraining buys. Materialized in
 * the pipeline worker (which has the corpus) as in-memory files the trainer loads like any other model.
 */
import { initClipModel } from '../../init/initClipModel.ts';
import type { ModelFiles } from '../../export/modelFiles.ts';

export interface ClipScratchOptions {
  hidden?: number;
  layers?: number;
  heads?: number;
  imageSize?: number;
  patchSize?: number;
  projectionDim?: number;
  seed?: number;
}

export const clipScratchId = (s: ClipScratchOptions) => `scratch-clip-h${s.hidden ?? 64}-l${s.layers ?? 2}-i${s.imageSize ?? 64}-s${s.seed ?? 42}`;

/** Deterministic in the spec and the texts; merges are capped so learning them stays quick on a large catalogue. */
export function scratchClipModel(spec: ClipScratchOptions, texts: readonly string[]): { id: string; files: ModelFiles } {
  if (!texts.length) throw new Error('a CLIP from scratch needs the corpus first (its tokenizer is learned from the product texts)');
  const hidden = spec.hidden ?? 64;
  const layers = spec.layers ?? 2;
  const heads = spec.heads ?? Math.max(1, Math.round(hidden / 16));
  const files = initClipModel({
    texts: texts.slice(0, 5000),
    merges: 1000,
    textHidden: hidden,
    visionHidden: hidden,
    textLayers: layers,
    visionLayers: layers,
    textHeads: heads,
    visionHeads: heads,
    imageSize: spec.imageSize ?? 64,
    patchSize: spec.patchSize ?? 16,
    projectionDim: spec.projectionDim ?? 64,
    seed: spec.seed ?? 42,
  });
  return { id: clipScratchId(spec), files };
}
