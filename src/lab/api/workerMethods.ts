import type { ModelCardInfo } from '../../training/export/modelCard.ts';
/**
 * What each worker serves, named once for both sides: the worker exposes exactly these methods of its
 * session (src/workers/exposeSession.ts checks at compile time that the session has them, with these
 * signatures) and the client bridge generates exactly these calls (src/app/bridge/workerBridge.ts).
 * A new worker method is its session method plus its line here (its signature and its name).
 *
 * Signatures are the session's as the client sees them: AbortSignals and callbacks are passed as they are
 * (the bridge sends them as a MessagePort and a Comlink proxy), and every result is a promise.
 * The client may only import lab/api, so the boundary types the sessions share with it live here too.
 */
import type { ModelFiles } from '../../training/export/modelFiles.ts';
import type { Judgments } from '../../training/data/judgments.ts';
import type {
  BackendInfo,
  BackendName,
  DataSummary,
  LabClient,
  LabData,
  ModelInfo,
  ModelSpec,
  ProgressCallback,
  TrainEvent,
  TrainOutcome,
  TrainRequest,
} from './labApi.ts';
import type { ImageSource, ImageSummary } from './clipRequest.ts';
import type { ShipChoice } from './variantsRequest.ts';

export type Slot = 'baseline' | 'tuned';

/** A spec the workers can load without the corpus: scratch models are materialized to files first. */
export type ResolvedModelSpec = Exclude<ModelSpec, { kind: `scratch${string}` }> | { kind: 'memory'; id: string; files: ModelFiles };

/** What the trainer's periodic evaluation needs from the pipeline worker: the documents and the judgments. */
export interface EvalSet {
  ids: string[];
  texts: string[];
  /** already restricted to the evaluation queries (the supervised validation split, or all judged) */
  judgments: Judgments;
}

/**
 * A train request whose model the trainer can load on its own (scratch models already materialized), plus
 * the evaluation data when the run evaluates every N steps (the client fetches it from the pipeline worker).
 */
export type TrainerRequest = Omit<TrainRequest, 'model'> & { model: ResolvedModelSpec; evalSet?: EvalSet };

export interface TrainerOutcome extends TrainOutcome {
  /** the tuned weights as a safetensors file (for the pipeline's "tuned" model and weight comparisons) */
  weights: Uint8Array;
}

export interface ExportCard {
  name?: string;
  /** the trade-off table's chosen row: WiSE-FT α, the ONNX variant to add, the Matryoshka dimension */
  ship?: ShipChoice;
  description?: string;
  metricsBefore?: Record<string, number>;
  metricsAfter?: Record<string, number>;
  /** the run's best evaluation, for the card's "Checkpoint kept" */
  bestModel?: ModelCardInfo['bestModel'];
}

export interface WorkerInit {
  prefer?: BackendName;
  only?: boolean;
  /** wasm threads; default every logical core (Settings can lower it) */
  threads?: number;
  /** IndexedDB database name; default 'ftlab' */
  dbName?: string;
}

/** Served by every worker itself, before any session method: picks the tfjs backend and the database. */
export interface WorkerControl {
  init(opts?: WorkerInit): Promise<BackendInfo>;
}

/** PipelineSession (src/lab/pipelineSession.ts); the methods the client passes straight through keep LabClient's signature. */
export interface PipelineWorkerApi
  extends WorkerControl, Pick<LabClient, 'estimate' | 'calibrate' | 'prepare' | 'evaluate' | 'variants' | 'search' | 'checkImages'> {
  setData(data: LabData): Promise<DataSummary>;
  /** scratch → in-memory files, so the trainer can load the same model without the corpus */
  resolve(spec: ModelSpec | ResolvedModelSpec): Promise<ResolvedModelSpec>;
  inspectModel(spec: ModelSpec): ReturnType<LabClient['inspectModel']>;
  loadModel(slot: Slot, spec: ModelSpec | ResolvedModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo>;
  setTuned(weights: Uint8Array, id?: string, baseSpec?: ResolvedModelSpec): Promise<ModelInfo>;
  /** for the trainer's evaluation every N steps */
  evalSet(queries?: readonly string[]): Promise<EvalSet>;
  setImages(source: ImageSource): Promise<ImageSummary>;
}

/** TrainerSession (src/lab/trainerSession.ts). */
export interface TrainerWorkerApi extends WorkerControl {
  train(runId: string, req: TrainerRequest, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainerOutcome>;
  exportZip(runId: string, req: TrainerRequest | undefined, card: ExportCard, onProgress?: ProgressCallback): Promise<Uint8Array>;
}

/** The method names of `Api` at run time; a record, so the compiler rejects a name missing or unknown. */
const methodsOf = <Api>(names: Record<keyof Api & string, true>) => Object.keys(names) as (keyof Api & string)[];

export const pipelineMethods = methodsOf<PipelineWorkerApi>({
  init: true,
  setData: true,
  resolve: true,
  inspectModel: true,
  estimate: true,
  calibrate: true,
  loadModel: true,
  setTuned: true,
  prepare: true,
  evalSet: true,
  evaluate: true,
  variants: true,
  search: true,
  setImages: true,
  checkImages: true,
});

export const trainerMethods = methodsOf<TrainerWorkerApi>({ init: true, train: true, exportZip: true });
