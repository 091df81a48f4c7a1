/**
 * The pipeline worker's state, environment-free: the parsed data, the baseline (base) and tuned encoders,
 * and each encoder's cached corpus vectors. Preparing rows, evaluating and the search playground all go
 * through here, so the corpus is embedded once per model whichever step asks first.
 */
import { loadSentenceEncoder } from '../training/models/registry.ts';
import { loadCrossEncoder, type CrossEncoder } from '../training/models/crossEncoder.ts';
import type { SentenceEncoder } from '../training/models/sentenceEncoder.ts';
import type { ModelSource } from '../training/source/modelSource.ts';
import { RetrievalEvaluator } from '../training/eval/retrievalEvaluator.ts';
import type {
  DataSummary, Estimate, EstimateRequest, EvaluateRequest, EvaluationResult, LabData, ModelInfo, ModelShape, ModelSpec,
  PreparedData, PrepareRequest, ProgressCallback, SearchHit,
} from './api/labApi.ts';
import { ModelTooLargeError } from './api/labApi.ts';
import { loadLabData, pickJudgments, type LoadedLabData } from './labData.ts';
import { modelSource, overlaySource, scratchModel, type ResolvedModelSpec, type SourceOptions } from './modelSources.ts';
import { encoderInfo, inspectSource } from './modelInfo.ts';
import { prepareRows } from './prepareRows.ts';
import { CorpusVectors, searchTopK } from './searchIndex.ts';
import { estimateRun, type DeviceLimits } from './estimate.ts';
import type { EvalSet } from './periodicEval.ts';
import { ClipPipeline, type ClipPipelineEnv } from './clipPipeline.ts';
import { inspectClipSource, isClipSource } from './clipModelInfo.ts';
import { estimateClipRun } from './clipEstimate.ts';
import { scratchClipModel } from './clipScratch.ts';
import { isClipPrepare, type ClipEstimateRequest, type ClipPrepare, type ClipPreparedData, type ClipShape, type ImageSource, type ImageSummary } from './api/clipRequest.ts';
import type { SupervisedPrepare, UnsupervisedPrepare } from './api/trainRequest.ts';

export type Slot = 'baseline' | 'tuned';

export interface SessionEnv extends SourceOptions, Partial<Pick<ClipPipelineEnv, 'imageSet' | 'baseUrl'>> {
  device(): Promise<DeviceLimits>;
  /** cross-encoders for GPL; default the tfjs loader over the same sources */
  loadCrossEncoder?: (source: ModelSource) => Promise<CrossEncoder>;
  /** batch size used for the estimate that guards loadModel; default 16 */
  guardBatchSize?: number;
}

interface Loaded {
  encoder: SentenceEncoder;
  source: ModelSource;
  info: ModelInfo;
  vectors?: CorpusVectors;
}

const noData = () => new Error('no data loaded: load the corpus in the Data step first');

export class PipelineSession {
  private data?: LoadedLabData;
  private readonly models = new Map<Slot, Loaded>();

  /** CLIP models, images, rows, evaluation and search (clipPipeline.ts); used when the loaded model is a CLIP model */
  readonly clip: ClipPipeline;

  constructor(private readonly env: SessionEnv) {
    this.clip = new ClipPipeline({
      device: env.device, baseUrl: env.baseUrl,
      imageSet: env.imageSet ?? (() => { throw new Error('this environment cannot load product images'); }),
    });
  }

  setData(input: LabData): DataSummary {
    this.data = loadLabData(input);
    for (const m of this.models.values()) m.vectors = undefined;
    this.clip.clearImages();
    return this.data.summary;
  }

  /** Scratch specs become in-memory model files (a vocabulary from the corpus); other specs pass through. */
  resolve(spec: ModelSpec | ResolvedModelSpec): ResolvedModelSpec {
    if (spec.kind === 'scratch-clip') return scratchClipModel(spec, this.data?.texts ?? []);
    if (spec.kind !== 'scratch') return spec;
    if (!this.data) throw noData();
    return scratchModel(spec, this.data.texts);
  }

  async inspectModel(spec: ModelSpec): Promise<ModelShape & { id: string }> {
    return inspectSource(await modelSource(this.resolve(spec), this.env));
  }

  async estimate(req: EstimateRequest): Promise<Estimate> {
    return estimateRun(req, await this.env.device());
  }

  /** Loads a model into a slot, refusing it first (from config.json alone) when it cannot train on this device. */
  async loadModel(slot: Slot, spec: ModelSpec | ResolvedModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo> {
    const source = await modelSource(this.resolve(spec), this.env);
    if (await isClipSource(source)) {
      const info = await this.clip.loadModel(slot, source, onProgress, signal);
      this.models.get(slot)?.encoder.dispose();
      this.models.delete(slot);
      if (slot === 'baseline') this.dropTuned();
      return info;
    }
    const shape = await inspectSource(source);
    const est = await this.estimate({ model: shape, batchSize: this.env.guardBatchSize ?? 16, rows: 1 });
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    signal?.throwIfAborted();
    const warnings: string[] = [];
    const encoder = await loadSentenceEncoder(source, {
      onWarning: (m) => warnings.push(m),
      onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }),
    });
    this.models.get(slot)?.encoder.dispose();
    this.clip.drop(slot);
    if (slot === 'baseline') this.clip.drop('tuned');
    const info = encoderInfo(source.id, encoder, warnings);
    this.models.set(slot, { encoder, source, info });
    if (slot === 'baseline') this.dropTuned();
    return info;
  }

  /** The tuned model: the trainer's weights (a safetensors file) over the base model's tokenizer and configs (the baseline's unless `baseSpec`). */
  async setTuned(weights: Uint8Array, id = 'tuned', baseSpec?: ResolvedModelSpec): Promise<ModelInfo> {
    const baseSource = baseSpec ? await modelSource(baseSpec, this.env) : this.models.get('baseline')?.source;
    if (baseSource ? await isClipSource(baseSource) : this.clip.has('baseline')) return this.clip.setTuned(weights, id, baseSource);
    if (!baseSource) throw new Error('load the base model before the tuned weights');
    const source = overlaySource(baseSource, new Map([['model.safetensors', weights]]), id);
    const encoder = await loadSentenceEncoder(source);
    this.dropTuned();
    const info = encoderInfo(id, encoder);
    this.models.set('tuned', { encoder, source, info });
    return info;
  }

  private dropTuned() {
    this.models.get('tuned')?.encoder.dispose();
    this.models.delete('tuned');
  }

  private model(slot: Slot): Loaded {
    const m = this.models.get(slot);
    if (!m) throw new Error(slot === 'tuned' ? 'no tuned model yet: train first' : 'no base model loaded: pick one in the Configure step');
    return m;
  }

  private vectors(slot: Slot): CorpusVectors {
    if (!this.data) throw noData();
    const m = this.model(slot);
    m.vectors ??= new CorpusVectors(m.encoder, this.data.texts);
    return m.vectors;
  }

  prepare(req: ClipPrepare, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ClipPreparedData>;
  prepare(req: UnsupervisedPrepare | SupervisedPrepare, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData>;
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData>;
  async prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData> {
    if (!this.data) throw noData();
    if (isClipPrepare(req)) {
      const prepared = this.clip.prepare(this.data, req);
      onProgress?.({ phase: 'rows', done: prepared.rows.length, total: prepared.rows.length, unit: 'items' });
      return { ...prepared, images: this.clip.trainImages(prepared.rows) };
    }
    const base = this.models.get('baseline');
    const index = base ? this.vectors('baseline') : undefined;
    return prepareRows(this.data, req, {
      encoder: base?.encoder,
      corpusVectors: index && (() => index.corpus({ signal, onProgress: (done, total) => onProgress?.({ phase: 'embed-corpus', done, total, unit: 'items' }) })),
      loadCrossEncoder: async (spec) => {
        const source = await modelSource(spec, this.env);
        return this.env.loadCrossEncoder ? this.env.loadCrossEncoder(source) : loadCrossEncoder(source);
      },
      signal, onProgress,
    });
  }

  /** The data the trainer's periodic evaluation needs (TrainRequest.evalEverySteps), restricted to `queries`. */
  evalSet(queries?: readonly string[]): EvalSet {
    if (!this.data) throw noData();
    if (!this.data.judgments) throw new Error('evaluation during training needs judgments: drop a judgments CSV in the Data step');
    return { ids: this.data.ids, texts: this.data.texts, judgments: pickJudgments(this.data.judgments, queries) };
  }

  async evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult> {
    if (!this.data) throw noData();
    if (this.clip.has(req.which)) return this.clip.evaluate(this.data, req, onProgress, signal);
    if (!this.data.judgments) throw new Error('evaluation needs judgments: drop a judgments CSV in the Data step');
    const judgments = pickJudgments(this.data.judgments, req.queries);
    const evaluator = new RetrievalEvaluator({ ids: this.data.ids, texts: this.data.texts }, judgments, { k: req.k ?? 10, relevanceThreshold: req.relevanceThreshold ?? 2 });
    const r = await evaluator.evaluate(this.vectors(req.which), {
      signal,
      onProgress: (p) => onProgress?.({ phase: p.phase === 'corpus' ? 'embed-corpus' : p.phase === 'queries' ? 'embed-queries' : 'evaluate', done: p.done, total: p.total, unit: 'items' }),
    });
    return { which: req.which, metrics: r.metrics, queries: r.queries, warnings: r.warnings ?? [] };
  }

  async search(query: string, k: number, which: Slot, signal?: AbortSignal): Promise<SearchHit[]> {
    if (!this.data) throw noData();
    if (this.clip.has(which)) return this.clip.search(this.data, query, k, which, signal);
    return searchTopK(this.vectors(which), this.data, query, k, { judgments: this.data.judgments, signal });
  }

  /** CLIP: the product images for the loaded corpus (URLs or picked files); checkImages loads them. */
  setImages(source: ImageSource): ImageSummary {
    if (!this.data) throw noData();
    return this.clip.setImages(this.data, source);
  }

  checkImages(onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary> {
    if (!this.data) throw noData();
    return this.clip.checkImages(this.data, onProgress, signal);
  }

  async estimateClip(req: ClipEstimateRequest): Promise<Estimate> {
    return estimateClipRun(req, await this.env.device());
  }

  async inspectClip(spec: ModelSpec): Promise<ClipShape & { id: string }> {
    return inspectClipSource(await modelSource(this.resolve(spec), this.env));
  }

  dispose(): void {
    this.clip.dispose();
    for (const m of this.models.values()) m.encoder.dispose();
    this.models.clear();
  }
}
