/**
 * The pipeline worker's state, environment-free: the parsed data, the product images, the baseline (base) and
 * tuned models of any family, and each model's retrieval index (its corpus or image vectors). Preparing rows,
 * evaluating and the search playground all go through here, so a corpus is embedded once per model whichever
 * step asks first. What differs between families (loading, the estimate guard, the index, the evaluator)
 * comes from the model's family (src/training/families).
 */
import { loadCrossEncoder, type CrossEncoder } from '../training/models/crossEncoder.ts';
import type { ModelSource } from '../training/source/modelSource.ts';
import type { FamilyEncoder, ModelFamily } from '../training/families/family.ts';
import { familyForShape, familyOf, modelTypeOf, scratchFamily } from '../training/families/registry.ts';
import type { TextEncoderLike } from '../training/eval/evaluator.ts';
import type { RetrievalIndex } from '../training/eval/retrievalIndex.ts';
import type { ClipRow } from '../training/data/clipRows.ts';
import type {
  DataSummary,
  Estimate,
  EstimateRequest,
  EvaluateRequest,
  EvaluationResult,
  FamilyShape,
  LabData,
  ModelInfo,
  ModelSpec,
  PreparedData,
  PrepareRequest,
  ProgressCallback,
  Ranker,
  SearchHit,
  ClipPrepare,
  ClipPreparedData,
  ImageSource,
  ImageSummary,
  SupervisedPrepare,
  UnsupervisedPrepare,
} from './api/labApi.ts';
import { isClipPrepare, ModelTooLargeError } from './api/labApi.ts';
import { loadLabData, pickJudgments, type LoadedLabData } from './labData.ts';
import { modelSource, overlaySource, type ResolvedModelSpec, type SourceOptions } from './modelSources.ts';
import { prepareRows } from './prepareRows.ts';
import { prepareClipRows } from './clipPrepare.ts';
import { searchHits } from './searchHits.ts';
import { LabEvaluation } from './labEvaluation.ts';
import { measureVariants } from './labVariants.ts';
import type { VariantsRequest, VariantsResult } from './api/variantsRequest.ts';
import type { DeviceLimits } from '../training/families/estimate.ts';
import { calibrateTraining, type Calibration, type CalibrationRequest } from '../training/families/calibrate.ts';
import type { EvalSet, Slot } from './api/workerMethods.ts';
import { LabImages, type LabImagesEnv } from './labImages.ts';

export type { Slot } from './api/workerMethods.ts';

export interface SessionEnv extends SourceOptions, Partial<LabImagesEnv> {
  device(): Promise<DeviceLimits>;
  /** cross-encoders for GPL; default the tfjs loader over the same sources */
  loadCrossEncoder?: (source: ModelSource) => Promise<CrossEncoder>;
  /** batch size of the estimate that guards loadModel; default the family's preset (16 text, 8 CLIP) */
  guardBatchSize?: number;
}

interface Loaded {
  family: ModelFamily;
  encoder: FamilyEncoder;
  source: ModelSource;
  info: ModelInfo;
  index?: RetrievalIndex;
}

const noData = () => new Error('no data loaded: load the corpus in the Data step first');

export class PipelineSession {
  private data?: LoadedLabData;
  private readonly models = new Map<Slot, Loaded>();
  private readonly images: LabImages;
  private readonly evaluation = new LabEvaluation();

  constructor(private readonly env: SessionEnv) {
    this.images = new LabImages({
      baseUrl: env.baseUrl,
      imageSet:
        env.imageSet ??
        (() => {
          throw new Error('this environment cannot load product images');
        }),
    });
  }

  setData(input: LabData): DataSummary {
    this.data = loadLabData(input);
    this.images.clear();
    this.dropIndexes();
    return this.data.summary;
  }

  /** Scratch specs become in-memory model files (a vocabulary or merges from the corpus); other specs pass through. */
  resolve(spec: ModelSpec | ResolvedModelSpec): ResolvedModelSpec {
    const family = scratchFamily(spec.kind);
    if (!family) return spec as ResolvedModelSpec;
    if (!this.data && spec.kind === 'scratch') throw noData();
    return { kind: 'memory', ...family.scratch!.build(spec as Record<string, unknown>, this.data?.texts ?? []) };
  }

  /** The model's shape from config.json alone, naming its family. */
  async inspectModel(spec: ModelSpec): Promise<FamilyShape & { id: string; family: string; modelType: string }> {
    const source = await modelSource(this.resolve(spec), this.env);
    const family = await familyOf(source);
    return { ...(await family.inspect(source)), id: source.id, family: family.name, modelType: await modelTypeOf(source) };
  }

  async estimate(req: EstimateRequest): Promise<Estimate> {
    const device = await this.env.device();
    return familyForShape(req.model).estimate(req, req.flopsPerSecond ? { ...device, flopsPerSecond: req.flopsPerSecond } : device);
  }

  /** This device's training rate for a text shape (families/calibrate.ts); the app keeps it per backend and shape. */
  async calibrate(req: CalibrationRequest, signal?: AbortSignal): Promise<Calibration> {
    return calibrateTraining(req, (await this.env.device()).backend, signal);
  }

  /** Loads a model into a slot, refusing it first (from config.json alone) when it cannot train on this device. */
  async loadModel(slot: Slot, spec: ModelSpec | ResolvedModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo> {
    const source = await modelSource(this.resolve(spec), this.env);
    const family = await familyOf(source);
    const est = family.estimate(
      { model: await family.inspect(source), batchSize: this.env.guardBatchSize ?? family.presetBatchSize, rows: 1 },
      await this.env.device(),
    );
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    signal?.throwIfAborted();
    const warnings: string[] = [];
    const encoder = await family.load(source, {
      onWarning: (m) => warnings.push(m),
      onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }),
    });
    this.drop(slot);
    if (slot === 'baseline') this.drop('tuned');
    const info = family.describe(source.id, encoder, warnings);
    this.models.set(slot, { family, encoder, source, info });
    return info;
  }

  /** The tuned model: the trainer's weights (a safetensors file) over the base model's tokenizer and configs (the baseline's unless `baseSpec`). */
  async setTuned(weights: Uint8Array, id = 'tuned', baseSpec?: ResolvedModelSpec): Promise<ModelInfo> {
    const baseSource = baseSpec ? await modelSource(baseSpec, this.env) : this.models.get('baseline')?.source;
    if (!baseSource) throw new Error('load the base model before the tuned weights');
    const source = overlaySource(baseSource, new Map([['model.safetensors', weights]]), id);
    const family = await familyOf(source);
    const encoder = await family.load(source);
    this.drop('tuned');
    const info = family.describe(id, encoder);
    this.models.set('tuned', { family, encoder, source, info });
    return info;
  }

  private drop(slot: Slot) {
    void this.models.get(slot)?.index?.release?.();
    this.models.get(slot)?.encoder.dispose();
    this.models.delete(slot);
  }

  private dropIndexes(task?: ModelFamily['task']) {
    for (const m of this.models.values())
      if (!task || m.family.task === task) {
        void m.index?.release?.();
        m.index = undefined;
      }
  }

  private model(slot: Slot): Loaded {
    const m = this.models.get(slot);
    if (!m) throw new Error(slot === 'tuned' ? 'no tuned model yet: train first' : 'no base model loaded: pick one in the Configure step');
    return m;
  }

  private index(slot: Slot): RetrievalIndex {
    const data = this.data;
    if (!data) throw noData();
    const m = this.model(slot);
    const images = m.family.task === 'text-image' && m.encoder.imageConfig ? this.images.corpus(data, m.encoder.imageConfig) : undefined;
    m.index ??= m.family.index(m.encoder, { ids: data.ids, texts: data.texts, images });
    return m.index;
  }

  prepare(req: ClipPrepare, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ClipPreparedData>;
  prepare(req: UnsupervisedPrepare | SupervisedPrepare, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData>;
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData>;
  async prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData> {
    if (!this.data) throw noData();
    if (isClipPrepare(req)) {
      const ok = new Set(this.images.usable(this.data));
      const prepared = prepareClipRows(this.data, (id) => ok.has(id), req);
      onProgress?.({ phase: 'rows', done: prepared.rows.length, total: prepared.rows.length, unit: 'items' });
      return { ...prepared, images: this.images.forRows(prepared.rows as ClipRow[]) };
    }
    const base = this.models.get('baseline');
    const text = base?.family.task === 'text' ? base : undefined;
    const index = text ? this.index('baseline') : undefined;
    const data = this.data;
    return prepareRows(data, req, {
      bm25: () => this.evaluation.bm25(data),
      // text indexes embed queries as they embed the corpus (onnxruntime when the runtime is there)
      encoder: index && 'encode' in index ? (index as RetrievalIndex & TextEncoderLike) : text?.encoder,
      corpusVectors:
        index && (() => index.corpus({ signal, onProgress: (done, total) => onProgress?.({ phase: 'embed-corpus', done, total, unit: 'items' }) })),
      loadCrossEncoder: async (spec) => {
        const source = await modelSource(spec, this.env);
        return this.env.loadCrossEncoder ? this.env.loadCrossEncoder(source) : loadCrossEncoder(source);
      },
      signal,
      onProgress,
    });
  }

  /** The data the trainer's periodic evaluation needs (TrainRequest.evalEverySteps), restricted to `queries`. */
  evalSet(queries?: readonly string[]): EvalSet {
    if (!this.data) throw noData();
    if (!this.data.judgments) throw new Error('evaluation during training needs judgments: drop a judgments CSV in the Data step');
    return { ids: this.data.ids, texts: this.data.texts, judgments: pickJudgments(this.data.judgments, queries) };
  }

  /** The family's evaluator (text→text or text→image) over the slot's cached index; BM25, or the slot fused with it. */
  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult> {
    if (!this.data) throw noData();
    return this.evaluation.evaluate(req, this.data, req.which === 'bm25' ? undefined : this.index(req.which), onProgress, signal);
  }

  /** The trade-off table (and the α slider's single row): the tuned slot at each α × dtype × dimension. */
  variants(req: VariantsRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<VariantsResult> {
    if (!this.data) throw noData();
    const slot = (s: Slot) => {
      const m = this.models.get(s);
      return m && { family: m.family, encoder: m.encoder, dim: m.info.dim };
    };
    return measureVariants(this.data, slot('tuned'), slot('baseline'), req, onProgress, signal);
  }

  /** The playground: the query against the slot's corpus (texts, or product images for CLIP), or BM25's list. */
  async search(query: string, k: number, which: Ranker, signal?: AbortSignal): Promise<SearchHit[]> {
    if (!this.data) throw noData();
    if (which === 'bm25') return this.evaluation.search(this.data, query, k, signal);
    return searchHits(this.index(which), this.data, query, k, signal);
  }

  /** The product images for the loaded corpus (URLs or picked files); checkImages loads them. */
  setImages(source: ImageSource): ImageSummary {
    if (!this.data) throw noData();
    const summary = this.images.set(this.data, source);
    this.dropIndexes('text-image');
    return summary;
  }

  async checkImages(onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary> {
    if (!this.data) throw noData();
    const summary = await this.images.check(this.data, onProgress, signal);
    this.dropIndexes('text-image');
    return summary;
  }

  dispose(): void {
    for (const m of this.models.values()) m.encoder.dispose();
    this.models.clear();
  }
}
