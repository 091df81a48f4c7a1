/**
 * The lab's "from scratch" text model: a fresh random BERT whose WordPiece vocabulary is learned from the
 * corpus texts, deterministic in the spec. Materialized in the pipeline worker (which has the corpus) as
 * in-memory files the trainer loads like any other model.
 */
import { initModel } from '../../init/initModel.ts';
import type { ModelFiles } from '../../export/modelFiles.ts';

export interface SentenceScratchSpec {
  vocabSize?: number;
  hidden?: number;
  layers?: number;
  heads?: number;
  intermediate?: number;
  maxSeqLength?: number;
  seed?: number;
}

export function scratchId(spec: SentenceScratchSpec, prefix = 'scratch'): string {
  return `${prefix}-h${spec.hidden ?? 64}-l${spec.layers ?? 2}-v${spec.vocabSize ?? 4000}-s${spec.seed ?? 42}`;
}

/** The spec with the lab's defaults, as options for a family's init function (initModel, initXlmRoberta). */
export function scratchInitOptions(spec: SentenceScratchSpec, texts: readonly string[]) {
  const hidden = spec.hidden ?? 64;
  return {
    texts,
    hidden,
    layers: spec.layers ?? 2,
    heads: spec.heads ?? Math.max(1, Math.round(hidden / 32)),
    intermediate: spec.intermediate,
    vocabSize: spec.vocabSize ?? 4000,
    maxSeqLength: spec.maxSeqLength ?? 64,
    seed: spec.seed ?? 42,
  };
}

export function scratchSentenceModel(spec: SentenceScratchSpec, texts: readonly string[]): { id: string; files: ModelFiles } {
  if (!texts.length) throw new Error('a model from scratch needs the corpus first (its vocabulary is built from the product texts)');
  return { id: scratchId(spec), files: initModel(scratchInitOptions(spec, texts)) };
}
