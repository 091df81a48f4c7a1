/**
 * The lab's typed API between the UI (state classes in src/app/state) and the workers. The UI only ever
 * talks to a `LabClient` (src/workers/client.ts `createLabClient()`); it never posts messages by hand.
 *
 * Everything crossing this boundary is structured-cloneable plain data (File objects included), so a run's
 * request can be stored as-is in IndexedDB (runs.config) and replayed by Resume after a reload.
 *
 * Lifecycle the UI follows:
 *   1. `backend()` — which tfjs backend the workers use and why (shown to the user).
 *   2. `setData(data)` — the corpus (+ judgments, + imported queries); returns counts and every rejected record.
 *   3. `estimate(model, batchSize, rows)` — time/memory estimate; `fits: false` + `reason` means refuse the model.
 *   4. `loadModel(spec)` — the base model ("baseline" for evaluation/search, the start point for training).
 *   5. `prepare(req)` — training rows (unsupervised GenQ/GPL, or supervised pairs + hard negatives + split).
 *   6. `evaluate({ which: 'baseline' })`, `train(runId, req, onEvent)`, `evaluate({ which: 'tuned' })`.
 *   7. `search(query, k, which)` — playground; `exportZip(runId)` — the export folder zipped.
 * Cancellation: every long call takes an AbortSignal; aborting rejects the call with an `AbortError`
 * (DOMException name 'AbortError'), except `train`, which resolves with `status: 'paused'` after saving a
 * checkpoint (pause = abort; Resume = calling `train` again with the same runId and request).
 */
import type { TrainRow } from '../training/data/trainRows.ts';
import type { TrainConfig } from '../training/train/trainConfig.ts';
import type { QueryMetrics } from '../training/eval/metrics.ts';

export type { TrainRow } from '../training/data/trainRows.ts';
export type { TrainConfig } from '../training/train/trainConfig.ts';
export type { QueryMetrics } from '../training/eval/metrics.ts';

// ---------------------------------------------------------------- environment

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** why this backend was chosen, e.g. "WebGPU adapter found (SwiftShader)" or "WebGPU unavailable: …; using WebGL" */
  reason: string;
  /** WebGPU adapter limits when the backend is webgpu (used by estimates/refusals) */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** adapter / renderer description when known */
  adapter?: string;
}

// ---------------------------------------------------------------- models

/** Where the base model comes from. */
export type ModelSpec =
  /** a Hub model id, fetched as `${endpoint}/${id}/resolve/${revision}/${file}`; cached in IndexedDB (download once) */
  | { kind: 'hub'; id: string; endpoint?: string; revision?: string }
  /** a local folder (`<input webkitdirectory>` / drop): files keep their webkitRelativePath */
  | { kind: 'files'; files: File[]; id?: string }
  /** a fresh random BERT with a WordPiece vocabulary built from the corpus texts (needs setData first); deterministic in `seed` */
  | { kind: 'scratch'; vocabSize?: number; hidden?: number; layers?: number; heads?: number; intermediate?: number; maxSeqLength?: number; seed?: number };

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
}

/** Numbers a model estimate needs; ModelInfo satisfies it. */
export type ModelShape = Pick<ModelInfo, 'hidden' | 'layers' | 'heads' | 'intermediate' | 'vocabSize' | 'maxSeqLength'>;

// ---------------------------------------------------------------- progress

export type ProgressPhase =
  | 'download' // model files; done/total in bytes (total may be undefined)
  | 'load'
  | 'queries' // query generation
  | 'embed-corpus'
  | 'embed-queries'
  | 'mine'
  | 'cross-encoder' // pairs scored
  | 'rows'
  | 'evaluate'
  | 'export';

export interface Progress {
  phase: ProgressPhase;
  done: number;
  total?: number;
  unit: 'bytes' | 'items';
  /** e.g. the file being downloaded */
  detail?: string;
}

export type ProgressCallback = (p: Progress) => void;

// ---------------------------------------------------------------- data

export interface LabData {
  /** corpus files as dropped or bundled (Chorus N.json.zip, .json, .jsonl, .csv) */
  corpus: { name: string; bytes: Uint8Array }[];
  /** product text template, e.g. "{title} {attr_t_product_type} {supplier}"; default DEFAULT_TEXT_TEMPLATE */
  template?: string;
  /** Quepid-style judgments CSV (query, docid, rating) */
  judgments?: { name: string; text: string };
  /** imported queries (generated-queries.jsonl, plain text, query-log CSV) */
  queries?: { name: string; text: string };
}

export interface DataSummary {
  products: number;
  /** products with text under the template (the searchable corpus) */
  documents: number;
  judgedQueries: number;
  judgments: number;
  importedQueries: number;
  /** everything dropped or suspicious, each naming the file and record/line */
  rejected: string[];
  warnings: string[];
  /** the first few documents, for a preview table */
  preview: { id: string; text: string }[];
}

// ---------------------------------------------------------------- prepare

export interface UnsupervisedPrepare {
  mode: 'unsupervised';
  /** 'offline': rule-based queries from product attributes; 'imported': LabData.queries */
  querySource: 'offline' | 'imported';
  /** offline queries per product; default 1 */
  perProduct?: number;
  /** only the first N documents generate queries (all documents stay searchable); default all */
  maxProducts?: number;
  /** GPL with this cross-encoder (MarginMSE rows); without it, GenQ rows for MNRL */
  crossEncoder?: Exclude<ModelSpec, { kind: 'scratch' }>;
  /** mine hard negatives with the base model; default true */
  mineNegatives?: boolean;
  /** mined candidates per query; default 50 (GPL) / 10 (GenQ) */
  k?: number;
  /** GPL negatives per query; default 1 */
  negativesPerQuery?: number;
  seed?: number;
}

export interface SupervisedPrepare {
  mode: 'supervised';
  /** rating at or above which a judged product is a positive; default 2 */
  threshold?: number;
  /** mined hard negatives per pair (0 = plain pairs); default 1 */
  hardNegatives?: number;
  /** first mined rank used as a negative (skip near-duplicates); default 3 */
  rankFrom?: number;
  /** fraction of queries held out for validation; default 0.2 */
  validation?: number;
  seed?: number;
}

export type PrepareRequest = UnsupervisedPrepare | SupervisedPrepare;

export interface PreparedData {
  rows: TrainRow[];
  /** the loss these rows are for */
  loss: 'mnrl' | 'margin-mse';
  /** supervised: the held-out queries (evaluate with `queries: validationQueries`) */
  validationQueries?: string[];
  trainQueries?: string[];
  /** unsupervised: the generated/imported queries used */
  queries?: number;
  stats: Record<string, number>;
  warnings: string[];
}

// ---------------------------------------------------------------- train

/** Hyperparameters: any TrainConfig field; defaults are the kata's (train/trainConfig.ts). */
export type TrainSettings = Partial<TrainConfig> & { loss: 'mnrl' | 'margin-mse' };

export interface TrainRequest {
  /** the base model (stored with the run; Resume reloads it) */
  model: ModelSpec;
  rows: TrainRow[];
  config: TrainSettings;
  /** a checkpoint every N steps (IndexedDB); default 50; 0 = only on pause */
  checkpointEverySteps?: number;
  /** evaluate on the judgments every N steps (needs judgments in setData); default 0 */
  evalEverySteps?: number;
  /** queries the periodic evaluation uses (e.g. the supervised validation split); default all judged */
  evalQueries?: string[];
}

/** Same events as the core training loop (step, eval, checkpoint, done, stopped), plus a resume notice. */
export type TrainEvent =
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; lr: number; gradNorm: number; examplesPerSec: number; elapsedMs: number; etaSeconds: number }
  | { type: 'eval'; step: number; epoch: number; metrics: Record<string, number> }
  | { type: 'checkpoint'; step: number }
  | { type: 'done'; step: number; loss: number | undefined; elapsedMs: number }
  | { type: 'stopped'; step: number; reason: 'aborted' | 'nan'; message: string }
  | { type: 'resumed'; step: number; totalSteps: number }
  | { type: 'progress'; progress: Progress };

export interface TrainOutcome {
  /** 'paused': aborted after saving a checkpoint (Resume continues); 'nan': stopped, last good checkpoint kept */
  status: 'done' | 'paused' | 'nan';
  step: number;
  totalSteps: number;
  /** the step the run resumed from (0 for a fresh run) */
  resumedFrom: number;
  losses: number[];
  elapsedMs: number;
  message?: string;
}

// ---------------------------------------------------------------- evaluate / search / export

export interface EvaluateRequest {
  which: 'baseline' | 'tuned';
  /** only these judged queries (validation split); default all */
  queries?: string[];
  k?: number;
  relevanceThreshold?: number;
}

export interface EvaluationResult {
  which: 'baseline' | 'tuned';
  /** ndcg@10, mrr@10, recall@10, recall@100, map@100 */
  metrics: Record<string, number>;
  queries: QueryMetrics[];
  warnings: string[];
}

export interface SearchHit {
  rank: number;
  id: string;
  score: number;
  text: string;
  /** product fields useful to show: title, img_thumb, img_500x500, supplier… (strings only) */
  fields: Record<string, string>;
  /** judgment rating for (query, id) when judged */
  rating?: number;
}

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

// ---------------------------------------------------------------- the client

export interface LabClient {
  backend(): Promise<BackendInfo>;
  setData(data: LabData, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<DataSummary>;
  /** estimate for a model shape on the workers' backend; `fits: false` → refuse before download */
  estimate(req: EstimateRequest): Promise<Estimate>;
  /** reads only config.json (no weights) so the UI can estimate/refuse before downloading */
  inspectModel(spec: ModelSpec, signal?: AbortSignal): Promise<ModelShape & { id: string }>;
  /** loads the base model (= the baseline); refuses (rejects with the estimate's reason) a model too large for the device */
  loadModel(spec: ModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo>;
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData>;
  /** trains (or resumes from the run's last IndexedDB checkpoint); checkpoints under runId; holds the run's Web Lock */
  train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome>;
  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult>;
  /** the corpus is embedded once per model and cached; later queries are instant */
  search(query: string, k: number, which: 'baseline' | 'tuned', signal?: AbortSignal): Promise<SearchHit[]>;
  /** the tuned model's export folder (sentence-transformers layout + onnx/model.onnx + README) zipped; after a reload it is rebuilt from the run's checkpoint */
  exportZip(runId: string, card?: { name?: string; description?: string }): Promise<Blob>;
  /** terminates the workers; the client can still be used (workers are recreated lazily) */
  dispose(): void;
}

export const DEFAULT_TEXT_TEMPLATE = '{title} {supplier}';

/** Thrown (as the rejection of loadModel/train) when a model does not fit the device. */
export class ModelTooLargeError extends Error {
  override name = 'ModelTooLargeError';
}
