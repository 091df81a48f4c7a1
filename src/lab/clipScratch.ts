/**
 * The lab's "tiny CLIP from scratch": a freshly initialised CLIPModel whose byte-level BPE merges are learned
 * from the corpus texts, so CLIP mode runs fully offline and shows what pretraining buys. Materialized in
 * the pipeline worker (which has the corpus) as in-memory files the trainer loads like any other model.
 */
import { initClipModel } from '../training/init/initClipModel.ts';
import type { ClipScratchSpec } from './api/clipRequest.ts';
import type { ResolvedModelSpec } from './modelSources.ts';

export const clipScratchId = (s: ClipScratchSpec) =>
  `scratch-clip-h${s.hidden ?? 64}-l${s.layers ?? 2}-i${s.imageSize ?? 64}-s${s.seed ?? 42}`;

/** Deterministic in the spec and the texts; merges are capped so learning them stays quick on a large catalogue. */
export function scratchClipModel(spec: ClipScratchSpec, texts: readonly string[]): ResolvedModelSpec {
  if (!texts.length) throw new Error('a CLIP from scratch needs the corpus first (its tokenizer is learned from the product texts)');
  const hidden = spec.hidden ?? 64;
  const layers = spec.layers ?? 2;
  const heads = spec.heads ?? Math.max(1, Math.round(hidden / 16));
  const files = initClipModel({
    texts: texts.slice(0, 5000), merges: 1000, textHidden: hidden, visionHidden: hidden, textLayers: layers, visionLayers: layers,
    textHeads: heads, visionHeads: heads, imageSize: spec.imageSize ?? 64, patchSize: spec.patchSize ?? 16,
    projectionDim: spec.projectionDim ?? 64, seed: spec.seed ?? 42,
  });
  return { kind: 'memory', id: clipScratchId(spec), files };
}
