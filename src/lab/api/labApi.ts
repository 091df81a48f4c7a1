/**
 * The lab's typed API between the UI (state classes in src/app/state) and the workers. The UI only ever
 * talks to a `LabClient` (src/app/bridge/labClient.ts `createLabClient()`); it never posts messages by hand.
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
 * The model types live in modelSpec.ts and the run types in trainRequest.ts; import them all from here.
 */
import type { Estimate, EstimateRequest, ModelInfo, ModelShape, ModelSpec } from './modelSpec.ts';
import type { ClipEstimateRequest, ClipPreparedData, ClipShape, ImageSource, ImageSummary } from './clipRequest.ts';
import type {
  EvaluateRequest, EvaluationResult, PreparedData, PrepareRequest, SearchHit, TrainEvent, TrainOutcome, TrainRequest,
} from './trainRequest.ts';

export type { TrainRow } from '../../training/data/trainRows.ts';
export type { TrainConfig } from '../../training/train/trainConfig.ts';
export type { QueryMetrics } from '../../training/eval/metrics.ts';
export type { Estimate, EstimateRequest, ModelInfo, ModelShape, ModelSpec } from './modelSpec.ts';
export { ModelTooLargeError } from './modelSpec.ts';
export type { ClipEstimateRequest, ClipPrepare, ClipPreparedData, ClipScratchSpec, ClipShape, ImageSource, ImageSummary, ResolvedImages } from './clipRequest.ts';
export type { ClipRow } from '../../training/data/clipRows.ts';
export type {
  EvaluateRequest, EvaluationResult, PreparedData, PrepareRequest, SearchHit, SupervisedPrepare, TrainEvent, TrainOutcome,
  TrainRequest, TrainSettings, UnsupervisedPrepare,
} from './trainRequest.ts';

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
  | 'export'
  | 'images' // product images loaded and decoded (CLIP)
  | 'embed-images';

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
  /** keep only the judged products plus the first N others (a quick run on a slow device); default all */
  sliceOthers?: number;
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
  /** text rows (PreparedData) or, for a ClipPrepare, CLIP rows with their images */
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData>;
  /** trains (or resumes from the run's last IndexedDB checkpoint); checkpoints under runId; holds the run's Web Lock */
  train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome>;
  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult>;
  /** the corpus is embedded once per model and cached; later queries are instant */
  search(query: string, k: number, which: 'baseline' | 'tuned', signal?: AbortSignal): Promise<SearchHit[]>;
  /** the tuned model's export folder (sentence-transformers layout + onnx/model.onnx + README) zipped; after a reload it is rebuilt from the run's checkpoint */
  exportZip(runId: string, card?: { name?: string; description?: string }): Promise<Blob>;
  /** CLIP: the product images (catalogue URLs or a picked folder) matched to the loaded corpus; needs setData first */
  setImages(source: ImageSource, signal?: AbortSignal): Promise<ImageSummary>;
  /** CLIP: loads and decodes every image once (IndexedDB-cached); failures are listed in the summary, never thrown */
  checkImages(onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary>;
  /** CLIP: the estimate for a CLIP model shape; `fits: false` → refuse before download */
  estimateClip(req: ClipEstimateRequest): Promise<Estimate>;
  /** CLIP: reads config.json only, for the estimate */
  inspectClip(spec: ModelSpec, signal?: AbortSignal): Promise<ClipShape & { id: string }>;
  /** terminates the workers; the client can still be used (workers are recreated lazily) */
  dispose(): void;
}

export const DEFAULT_TEXT_TEMPLATE = '{title} {supplier}';
