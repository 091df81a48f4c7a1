/**
 * The lab API's model types (re-exported by labApi.ts): where a base model comes from, what the workers
 * report about a loaded one, and the time/memory estimate that refuses a model too large for the device.
 */
import type { BackendName } from './labApi.ts';
import type { ClipScratchSpec, ClipShape } from './clipRequest.ts';

/** Where the base model comes from. */
export type ModelSpec =
  /** a Hub model id, fetched as `${endpoint}/${id}/resolve/${revision}/${file}`; cached in IndexedDB (download once) */
  | { kind: 'hub'; id: string; endpoint?: string; revision?: string }
  /** a local folder (`<input webkitdirectory>` / drop): files keep their webkitRelativePath */
  | { kind: 'files'; files: File[]; id?: string }
  /** a fresh random BERT with a WordPiece vocabulary built from the corpus texts (needs setData first); deterministic in `seed` */
  | { kind: 'scratch'; vocabSize?: number; hidden?: number; layers?: number; heads?: number; intermediate?: number; maxSeqLength?: number; seed?: number }
  /** a fresh tiny CLIP (clipRequest.ts) */
  | ClipScratchSpec;

export interface ModelInfo {
  /** Hub id, folder name or "scratch-<hidden>x<layers>" */
  id: string;
  modelType: string;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocabSize: number;
  maxSeqLength: number;
  pooling: 'mean' | 'cls' | 'max';
  normalize: boolean;
  /** embedding dimension (= hidden for BERT sentence encoders) */
  dim: number;
  /** trainable parameter count */
  parameters: number;
  /** non-fatal notes from loading (unused weights, defaults assumed) */
  warnings: string[];
  /** CLIP models: both towers (the fields above describe the text tower; dim is projection_dim) */
  clip?: ClipShape;
}

/** Numbers a model estimate needs; ModelInfo satisfies it. */
export type ModelShape = Pick<ModelInfo, 'hidden' | 'layers' | 'heads' | 'intermediate' | 'vocabSize' | 'maxSeqLength'>;

export interface Estimate {
  backend: BackendName;
  fits: boolean;
  /** why it does not fit (shown as the refusal), or the main assumption when it does */
  reason: string;
  parameters: number;
  /** model weights + AdamW state + activations + gradients, bytes */
  trainingBytes: number;
  /** the largest single GPU buffer (embedding table, attention scores, …), bytes */
  largestBufferBytes: number;
  /** estimated time of one optimizer step and of the whole run, seconds */
  secondsPerStep: number;
  totalSeconds: number;
  totalSteps: number;
}

export interface EstimateRequest {
  model: ModelShape;
  batchSize: number;
  rows: number;
  epochs?: number;
  steps?: number;
  /** tokens per text used for the estimate; default min(maxSeqLength, 64) */
  seqLen?: number;
  /** columns per row: 2 for (query, positive), 3 with a negative; default 3 */
  textsPerRow?: number;
}

/** Thrown (as the rejection of loadModel/train) when a model does not fit the device. */
export class ModelTooLargeError extends Error {
  override name = 'ModelTooLargeError';
}
