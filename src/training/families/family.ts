/**
 * A model family plugs one architecture into the whole pipeline, after transformers.js' registry: config.json's
 * `model_type` picks the family, and everything above the models (the lab's sessions, the CLI's train path, the
 * estimate that refuses a model too large for the device) talks to this interface only. A family says how to
 * read a model's shape from config.json alone, estimate a run, load the weights, make the loaded encoder
 * trainable for its losses, index a corpus for evaluation and search, export the folder other tools load, and
 * build a fresh model from scratch. See docs/architecture.md, "How to add a family".
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelSource } from '../source/modelSource.ts';
import type { TensorMap } from '../weights/safetensors.ts';
import type { ModelFiles } from '../export/modelFiles.ts';
import type { ModelCardInfo } from '../export/modelCard.ts';
import type { TrainableEncoder } from '../train/trainTypes.ts';
import type { ImageProvider } from '../images/imageProvider.ts';
import type { ClipImageConfig } from '../images/clipImageProcessor.ts';
import type { TextEncoderLike } from '../eval/evaluator.ts';
import type { RetrievalIndex } from '../eval/retrievalIndex.ts';
import type { DeviceLimits, Estimate, EstimateRequest } from './estimate.ts';
import type { ClipShape, FamilyShape, TextShape } from './shapes.ts';
import type { OnnxTextGraph } from '../inference/onnxTextEncoder.ts';

/** What the pipeline does with a family's models: text→text retrieval, or text→image retrieval (CLIP). */
export type FamilyTask = 'text' | 'text-image';

/** What every loaded encoder offers the pipeline, whatever its family. */
export interface FamilyEncoder extends TextEncoderLike {
  model: { params: ReadonlyMap<string, tf.Variable>; exportWeights(): Promise<TensorMap> };
  /** text-image families: the preprocessing their image tower expects */
  imageConfig?: ClipImageConfig;
  dispose(): void;
}

export interface LoadOptions {
  /** replaces the config's dropout rates (training only) */
  dropout?: number;
  onWarning?: (message: string) => void;
  /** download progress of the weights file */
  onProgress?: (loaded: number, total?: number) => void;
}

/** What the lab shows about a loaded model: the (text tower's) shape and more. */
export interface ModelDescription extends Pick<TextShape, 'hidden' | 'layers' | 'heads' | 'intermediate' | 'vocabSize' | 'maxSeqLength'> {
  /** Hub id, folder name or "scratch-<hidden>x<layers>" */
  id: string;
  modelType: string;
  /** the family's name ('sentence', 'clip', …) */
  family: string;
  task: FamilyTask;
  pooling: 'mean' | 'cls' | 'max';
  normalize: boolean;
  /** embedding dimension */
  dim: number;
  /** trainable parameter count */
  parameters: number;
  /** non-fatal notes from loading (unused weights, defaults assumed) */
  warnings: string[];
  /** CLIP models: both towers (the TextShape fields describe the text tower; dim is projection_dim) */
  clip?: ClipShape;
}

/** What the training loop gets besides the encoder: the images of the rows, for text-image families. */
export interface TrainContext {
  images?: ImageProvider;
}

/** The corpus an index embeds: product ids and texts in corpus order, plus their images for text-image families. */
export interface IndexCorpus {
  ids: readonly string[];
  texts: readonly string[];
  /** text-image families: the products with a usable image (corpus order) and their provider */
  images?: { ids: readonly string[]; provider: ImageProvider };
}

/** A fresh model built from the corpus texts (its vocabulary or merges are learned from them). */
export interface ScratchBuilder<S = Record<string, unknown>> {
  /** the ModelSpec kind that asks for it ('scratch', 'scratch-clip') */
  kind: string;
  build(spec: S, texts: readonly string[]): { id: string; files: ModelFiles };
}

export interface ModelFamily<E extends FamilyEncoder = FamilyEncoder> {
  name: string;
  /** config.json model_type values this family loads */
  modelTypes: readonly string[];
  task: FamilyTask;
  /** the losses it trains with (names in losses/registry.ts); the first is the default */
  losses: readonly string[];
  /** the batch size its kata preset uses (the load guard's estimate assumes it) */
  presetBatchSize: number;
  /** config.json (and sibling configs) only: enough to estimate and refuse before any download */
  inspect(source: ModelSource): Promise<FamilyShape>;
  estimate(req: EstimateRequest, device: DeviceLimits): Estimate;
  load(source: ModelSource, opts?: LoadOptions): Promise<E>;
  describe(id: string, encoder: E, warnings?: string[]): ModelDescription;
  trainable(encoder: E, ctx?: TrainContext): TrainableEncoder<unknown>;
  /** the model card's loss line */
  lossDescription(loss: string): string;
  /** corpus (text families) or image (text-image) vectors, computed once and shared by evaluation and search */
  index(encoder: E, corpus: IndexCorpus): RetrievalIndex;
  exportFiles(encoder: E, card: ModelCardInfo): Promise<ModelFiles>;
  /** forward-only inference on onnxruntime: the exporter's graph of the encoder's current weights (text families) */
  onnxTextGraph?(encoder: E): Promise<OnnxTextGraph>;
  scratch?: ScratchBuilder;
}
