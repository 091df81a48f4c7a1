/**
 * A model's numbers from config.json alone: what estimates, refusals and the UI need before the weights are
 * downloaded. Tagged by family so one `estimate` call serves every family; a text shape without a tag is a
 * BERT-family one (the shape older callers and stored runs pass).
 */

/** A text encoder's shape (BERT-family bi-encoders, XLM-RoBERTa). */
export interface TextShape {
  family?: string;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocabSize: number;
  maxSeqLength: number;
  /** position-embedding rows (default max(512, maxSeqLength)) and token types (default 2), for the parameter count */
  positions?: number;
  typeVocab?: number;
}

/** A CLIP model's numbers: both towers and the shared embedding width. */
export interface ClipShape {
  family?: string;
  text: { hidden: number; layers: number; heads: number; intermediate: number; vocabSize: number; maxLength: number };
  vision: { hidden: number; layers: number; heads: number; intermediate: number; imageSize: number; patchSize: number };
  projectionDim: number;
}

export type FamilyShape = TextShape | ClipShape;

export const isClipShape = (s: FamilyShape): s is ClipShape => 'vision' in s;
