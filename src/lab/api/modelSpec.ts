/**
 * The lab API's model types (re-exported by labApi.ts): where a base model comes from, and the family-level
 * types the workers report (a loaded model's description, a shape from config.json, the time/memory estimate
 * that refuses a model too large for the device), which the model families in src/training/families define.
 */
import type { ClipScratchSpec } from './clipRequest.ts';
import type { SentenceScratchSpec } from '../../training/families/sentence/sentenceScratch.ts';
import type { ModelDescription } from '../../training/families/family.ts';
import type { TextShape } from '../../training/families/shapes.ts';

export type { ClipShape, FamilyShape, TextShape } from '../../training/families/shapes.ts';
export type { Estimate, EstimateRequest } from '../../training/families/estimate.ts';
export type { Calibration, CalibrationRequest } from '../../training/families/calibrate.ts';
export { ModelTooLargeError } from './errors.ts';

/** Where the base model comes from. */
export type ModelSpec =
  /** a Hub model id, fetched as `${endpoint}/${id}/resolve/${revision}/${file}`; cached in IndexedDB (download once) */
  | { kind: 'hub'; id: string; endpoint?: string; revision?: string }
  /** a local folder (`<input webkitdirectory>` / drop): files keep their webkitRelativePath */
  | { kind: 'files'; files: File[]; id?: string }
  /** a fresh random BERT with a WordPiece vocabulary built from the corpus texts (needs setData first); deterministic in `seed` */
  | ({ kind: 'scratch' } & SentenceScratchSpec)
  /** a fresh tiny CLIP (clipRequest.ts) */
  | ClipScratchSpec;

/** What the workers report about a loaded model (any family). */
export type ModelInfo = ModelDescription;

/** Numbers a text model estimate needs; a text ModelInfo satisfies it. */
export type ModelShape = TextShape;
