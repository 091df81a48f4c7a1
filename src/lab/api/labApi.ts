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
 *   3. `inspectModel(spec)` then `estimate({ model: shape, batchSize, rows })` — any family's shape (text or CLIP);
 *      `fits: false` + `reason` means refuse the model.
 *   4. `loadModel(spec)` — the base model ("baseline" for evaluation/search, the start point for training).
 *   5. `prepare(req)` — training rows (unsupervised GenQ/GPL, or supervised pairs + hard negatives + split).
 *   6. `evaluate({ which: 'baseline' })`, `train(runId, req, onEvent)`, `evaluate({ which: 'tuned' })`.
 *   7. `search(query, k, which)` — playground; `exportZip(runId)` — the export folder zipped.
 * Cancellation: every long call takes an AbortSignal; aborting rejects the call with an `AbortError`
 * (DOMException name 'AbortError'), except `train`, which resolves with `status: 'paused'` after saving a
 * checkpoint (pause = abort; Resume = calling `train` again with the same runId and request).
 * The types live in leaf files (progress.ts, labData.ts, modelSpec.ts, trainRequest.ts, clipRequest.ts; the
 * family-level ones come from src/training/families); import them all from here.
 */
import type { BackendInfo, ProgressCallback } from './progress.ts';
import type { DataSummary, LabData } from './labData.ts';
import type { Calibration, CalibrationRequest, Estimate, EstimateRequest, ModelInfo, ModelSpec, FamilyShape } from './modelSpec.ts';
import type { ClipPreparedData, ImageSource, ImageSummary } from './clipRequest.ts';
import type { ShipChoice, VariantsRequest, VariantsResult } from './variantsRequest.ts';
export type { OnnxDtype, ShipChoice, VariantRow, VariantsRequest, VariantsResult } from './variantsRequest.ts';
import type {
  EvaluateRequest,
  EvaluationResult,
  PreparedData,
  PrepareRequest,
  Ranker,
  SearchHit,
  TrainEvent,
  TrainOutcome,
  TrainRequest,
} from './trainRequest.ts';

export type { TrainRow } from '../../training/data/trainRows.ts';
export type { TrainConfig } from '../../training/train/trainDefaults.ts';
export type { QueryMetrics } from '../../training/eval/metrics.ts';
export type { BackendInfo, BackendName, Progress, ProgressCallback, ProgressPhase } from './progress.ts';
export type { DataSummary, LabData } from './labData.ts';
export { DEFAULT_TEXT_TEMPLATE } from './labData.ts';
export type {
  Calibration,
  CalibrationRequest,
  ClipShape,
  Estimate,
  EstimateRequest,
  FamilyShape,
  ModelInfo,
  ModelShape,
  ModelSpec,
  TextShape,
} from './modelSpec.ts';
export { ModelTooLargeError } from './modelSpec.ts';
export type { ClipPrepare, ClipPreparedData, ClipScratchSpec, ImageSource, ImageSummary, ResolvedImages } from './clipRequest.ts';
export { DEFAULT_IMAGE_FIELD, isClipPrepare } from './clipRequest.ts';
export type { ClipRow } from '../../training/data/clipRows.ts';
export type {
  EvaluateRequest,
  EvaluationResult,
  HybridChoice,
  PreparedData,
  PrepareRequest,
  Ranker,
  SearchHit,
  SupervisedPrepare,
  TrainEvent,
  TrainOutcome,
  TrainRequest,
  TrainSettings,
  UnsupervisedPrepare,
} from './trainRequest.ts';

// ---------------------------------------------------------------- the client

export interface LabClient {
  backend(): Promise<BackendInfo>;
  setData(data: LabData, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<DataSummary>;
  /** estimate for any family's model shape on the workers' backend; `fits: false` → refuse before download */
  estimate(req: EstimateRequest): Promise<Estimate>;
  /** times one training step of a random model of this shape on the workers' backend (text models); pass its
   * flopsPerSecond back in EstimateRequest for this device's estimate */
  calibrate(req: CalibrationRequest, signal?: AbortSignal): Promise<Calibration>;
  /** reads only config.json (no weights) so the UI can estimate/refuse before downloading; the shape names its family */
  inspectModel(spec: ModelSpec, signal?: AbortSignal): Promise<FamilyShape & { id: string; family: string; modelType: string }>;
  /** loads the base model (= the baseline); refuses (rejects with the estimate's reason) a model too large for the device */
  loadModel(spec: ModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo>;
  /** text rows (PreparedData) or, for a ClipPrepare, CLIP rows with their images */
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData>;
  /** trains (or resumes from the run's last IndexedDB checkpoint); checkpoints under runId; holds the run's Web Lock */
  train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome>;
  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult>;
  /** the trade-off table: the fine-tuned model at each WiSE-FT α × ONNX dtype × Matryoshka dimension (one row at α is the slider) */
  variants(req: VariantsRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<VariantsResult>;
  /** the corpus is embedded once per model and cached; later queries are instant */
  search(query: string, k: number, which: Ranker, signal?: AbortSignal): Promise<SearchHit[]>;
  /** the tuned model's export folder (sentence-transformers layout + onnx/model.onnx + README) zipped; after a reload it is rebuilt from the run's checkpoint */
  exportZip(runId: string, card?: { name?: string; description?: string; ship?: ShipChoice }): Promise<Blob>;
  /** CLIP: the product images (catalogue URLs or a picked folder) matched to the loaded corpus; needs setData first */
  setImages(source: ImageSource, signal?: AbortSignal): Promise<ImageSummary>;
  /** CLIP: loads and decodes every image once (IndexedDB-cached); failures are listed in the summary, never thrown */
  checkImages(onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary>;
  /** terminates the workers; the client can still be used (workers are recreated lazily) */
  dispose(): void;
}
