/// <reference lib="webworker" />
/** The pipeline worker (data, base/tuned models, mining, cross-encoder scoring, evaluation, search): a thin Comlink adapter over PipelineSession. */
import * as Comlink from 'comlink';
import { deviceLimits, selectBackend } from './backend.ts';
import { portSignal } from '../lab/api/abortPort.ts';
import { cachedHub, labDb, useDatabase } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import type { ClipEstimateRequest, ClipPreparedData, ClipShape, ImageSource, ImageSummary } from '../lab/api/clipRequest.ts';
import { PipelineSession, type Slot } from '../lab/pipelineSession.ts';
import type { ResolvedModelSpec } from '../lab/modelSources.ts';
import type { EvalSet } from '../lab/periodicEval.ts';
import type {
  BackendInfo, BackendName, DataSummary, Estimate, EstimateRequest, EvaluateRequest, EvaluationResult, LabData, ModelInfo, ModelShape,
  ModelSpec, PreparedData, PrepareRequest, ProgressCallback, SearchHit,
} from '../lab/api/labApi.ts';

const session = new PipelineSession({
  device: deviceLimits, wrap: cachedHub, baseUrl: `${self.location.origin}/`,
  imageSet: (images) => browserImageSet(images, { db: labDb }),
});

const api = {
  init(opts: { prefer?: BackendName; only?: boolean; dbName?: string } = {}): Promise<BackendInfo> {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
  setData(data: LabData): DataSummary {
    return session.setData(data);
  },
  /** scratch → in-memory files, so the trainer can load the same model without the corpus */
  resolve(spec: ModelSpec | ResolvedModelSpec): ResolvedModelSpec {
    return session.resolve(spec);
  },
  async inspectModel(spec: ModelSpec): Promise<ModelShape & { id: string }> {
    await selectBackend();
    return session.inspectModel(spec);
  },
  async estimate(req: EstimateRequest): Promise<Estimate> {
    return session.estimate(req);
  },
  async loadModel(slot: Slot, spec: ModelSpec | ResolvedModelSpec, onProgress?: ProgressCallback, abort?: MessagePort): Promise<ModelInfo> {
    await selectBackend();
    return session.loadModel(slot, spec, onProgress, portSignal(abort));
  },
  setTuned(weights: Uint8Array, id?: string, baseSpec?: ResolvedModelSpec): Promise<ModelInfo> {
    return session.setTuned(weights, id, baseSpec);
  },
  prepare(req: PrepareRequest, onProgress?: ProgressCallback, abort?: MessagePort): Promise<PreparedData | ClipPreparedData> {
    return session.prepare(req, onProgress, portSignal(abort));
  },
  /** for the trainer's evaluation every N steps */
  evalSet(queries?: string[]): EvalSet {
    return session.evalSet(queries);
  },
  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, abort?: MessagePort): Promise<EvaluationResult> {
    return session.evaluate(req, onProgress, portSignal(abort));
  },
  search(query: string, k: number, which: Slot, abort?: MessagePort): Promise<SearchHit[]> {
    return session.search(query, k, which, portSignal(abort));
  },
  setImages(source: ImageSource): ImageSummary {
    return session.setImages(source);
  },
  checkImages(onProgress?: ProgressCallback, abort?: MessagePort): Promise<ImageSummary> {
    return session.checkImages(onProgress, portSignal(abort));
  },
  async estimateClip(req: ClipEstimateRequest): Promise<Estimate> {
    return session.estimateClip(req);
  },
  async inspectClip(spec: ModelSpec): Promise<ClipShape & { id: string }> {
    await selectBackend();
    return session.inspectClip(spec);
  },
  dispose(): void {
    session.dispose();
  },
};

export type PipelineWorkerApi = typeof api;

Comlink.expose(api);
