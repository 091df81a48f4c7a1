/**
 * The client bridge: the only thing the UI talks to (LabClient in labApi.ts). It owns the two workers
 * (created lazily, terminated on dispose or when an aborted call does not settle in time), turns
 * AbortSignals into MessagePorts and callbacks into Comlink proxies, holds the run's Web Lock while it
 * trains, and keeps the run record's status in IndexedDB (H11's storage) in step.
 *
 * A recreated pipeline worker gets the last data and base model again before its next call, so a killed
 * hung call costs time, not state.
 */
import * as Comlink from 'comlink';
import type {
  BackendInfo, BackendName, DataSummary, Estimate, EstimateRequest, EvaluateRequest, EvaluationResult, LabClient, LabData, ModelInfo,
  ModelShape, ModelSpec, PreparedData, PrepareRequest, ProgressCallback, SearchHit, TrainEvent, TrainOutcome, TrainRequest,
} from '../../lab/api/labApi.ts';
import type { PipelineWorkerApi } from '../../workers/pipeline.worker.ts';
import type { ClipEstimateRequest, ClipPreparedData, ClipShape, ImageSource, ImageSummary } from '../../lab/api/clipRequest.ts';
import type { TrainerWorkerApi } from '../../workers/trainer.worker.ts';
import type { TrainerRequest } from '../../lab/trainerSession.ts';
import { signalPort } from '../../lab/api/abortPort.ts';
import { getRun, openLabDb, updateRun, withRunLock, type LabDb } from '../../storage/index.ts';

export interface LabClientOptions {
  /** move this backend to the front of webgpu → webgl → wasm → cpu (e.g. from a `?backend=` URL parameter) */
  prefer?: BackendName;
  /** use only `prefer` (tests) */
  only?: boolean;
  /** IndexedDB database name; default 'ftlab' */
  dbName?: string;
  /** how long an aborted call may take to settle before its worker is terminated; default 15 s */
  abortGraceMs?: number;
  /** worker factories (tests can count or replace workers) */
  createTrainer?: () => Worker;
  createPipeline?: () => Worker;
}

const abortError = (why = 'cancelled') => new DOMException(why, 'AbortError');

class WorkerSlot<T> {
  private worker?: Worker;
  private remote?: Comlink.Remote<T>;
  private ready?: Promise<Comlink.Remote<T>>;

  constructor(private readonly create: () => Worker, private readonly setup: (r: Comlink.Remote<T>) => Promise<unknown>) {}

  get(): Promise<Comlink.Remote<T>> {
    if (!this.ready) {
      this.worker = this.create();
      const remote = (this.remote = Comlink.wrap<T>(this.worker));
      const p = (this.ready = this.setup(remote).then(() => remote));
      p.catch(() => { if (this.ready === p) this.terminate(); });
    }
    return this.ready;
  }

  terminate(): void {
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = this.remote = this.ready = undefined;
  }

  /**
   * Runs `fn` with a signal port. When the signal fires and the call has not settled after `graceMs`, the
   * worker is terminated (a call stuck in a GPU kernel or a blocking loop cannot be interrupted otherwise).
   */
  async call<R>(fn: (r: Comlink.Remote<T>, port?: MessagePort) => Promise<R>, signal: AbortSignal | undefined, graceMs: number): Promise<R> {
    signal?.throwIfAborted();
    const remote = await this.get();
    const sp = signalPort(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      signal?.addEventListener('abort', () => {
        timer = setTimeout(() => {
          this.terminate();
          reject(abortError(`cancelled; the worker did not stop within ${graceMs / 1000} s and was restarted`));
        }, graceMs);
      }, { once: true });
    });
    try {
      return await Promise.race([fn(remote, sp.port), hung]);
    } finally {
      clearTimeout(timer);
      sp.release();
    }
  }
}

export function createLabClient(opts: LabClientOptions = {}): LabClient {
  const grace = opts.abortGraceMs ?? 15_000;
  const init = { prefer: opts.prefer, only: opts.only, dbName: opts.dbName };
  let data: LabData | undefined;
  let base: ModelSpec | undefined;
  let images: ImageSource | undefined;
  let tunedWeights: { runId: string; weights: Uint8Array; model: TrainerRequest['model'] } | undefined;
  let pipelineStarted = false;
  const requests = new Map<string, TrainRequest>();
  const metrics: { baseline?: Record<string, number>; tuned?: Record<string, number> } = {};
  let db: Promise<LabDb> | undefined;
  const labDb = () => (db ??= openLabDb(opts.dbName));

  const trainer = new WorkerSlot<TrainerWorkerApi>(
    opts.createTrainer ?? (() => new Worker(new URL('../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'ftlab-trainer' })),
    (r) => r.init(init),
  );
  // A fresh pipeline worker is brought back to the client's state: data, base model, tuned weights.
  const pipeline = new WorkerSlot<PipelineWorkerApi>(
    opts.createPipeline ?? (() => new Worker(new URL('../../workers/pipeline.worker.ts', import.meta.url), { type: 'module', name: 'ftlab-pipeline' })),
    async (r) => {
      pipelineStarted = true;
      await r.init(init);
      if (data) await r.setData(data);
      // the check's results are in IndexedDB: a re-check after a restart costs no download
      if (data && images) { await r.setImages(images); await r.checkImages(); }
      if (base) await r.loadModel('baseline', base);
      if (tunedWeights) await r.setTuned(tunedWeights.weights.slice(), tunedWeights.runId, tunedWeights.model);
    },
  );

  /** best effort: the run record may not exist (the UI creates runs) or storage may be unavailable */
  const runStatus = async (runId: string, patch: Parameters<typeof updateRun>[2]) => {
    try {
      const d = await labDb();
      if (await getRun(d, runId)) await updateRun(d, runId, patch);
    } catch { /* shown by the UI's own storage status */ }
  };

  /** what the trainer needs on its own: a materialized model and, for training, the periodic evaluation's data */
  const trainerRequest = async (req: TrainRequest, forTraining = false): Promise<TrainerRequest> => {
    const model = req.model.kind === 'scratch' || req.model.kind === 'scratch-clip' ? await (await pipeline.get()).resolve(req.model) : req.model;
    const evalSet = forTraining && (req.evalEverySteps ?? 0) > 0 ? await (await pipeline.get()).evalSet(req.evalQueries) : undefined;
    return { ...req, model, ...(evalSet && { evalSet }) };
  };

  const requestOf = async (runId: string): Promise<TrainRequest | undefined> => {
    if (requests.has(runId)) return requests.get(runId);
    try {
      const cfg = (await getRun(await labDb(), runId))?.config as { request?: TrainRequest } & Partial<TrainRequest> | undefined;
      const req = cfg?.model && cfg.rows ? (cfg as TrainRequest) : cfg?.request;
      return req?.model && req.rows ? req : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async backend(): Promise<BackendInfo> {
      return (await trainer.get()).init(init);
    },

    async setData(d, onProgress, signal): Promise<DataSummary> {
      const summary = await pipeline.call((r) => r.setData(d), signal, grace);
      data = d;
      images = undefined;
      onProgress?.({ phase: 'load', done: summary.documents, total: summary.documents, unit: 'items' });
      return summary;
    },

    async estimate(req: EstimateRequest): Promise<Estimate> {
      return (await pipeline.get()).estimate(req);
    },

    async inspectModel(spec, signal): Promise<ModelShape & { id: string }> {
      return pipeline.call((r) => r.inspectModel(spec), signal, grace);
    },

    async loadModel(spec, onProgress, signal): Promise<ModelInfo> {
      const info = await pipeline.call((r, port) => r.loadModel('baseline', spec, onProgress && Comlink.proxy(onProgress), port), signal, grace);
      base = spec;
      tunedWeights = undefined;
      return info;
    },

    async prepare(req: PrepareRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PreparedData | ClipPreparedData> {
      return pipeline.call<PreparedData | ClipPreparedData>((r, port) => r.prepare(req, onProgress && Comlink.proxy(onProgress), port), signal, grace);
    },

    async train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome> {
      requests.set(runId, req);
      const treq = await trainerRequest(req, true);
      return withRunLock(runId, async () => {
        await runStatus(runId, { status: 'running', error: undefined });
        try {
          const out = await trainer.call((r, port) => r.train(runId, treq, Comlink.proxy(onEvent), port), signal, Math.max(grace, 60_000));
          const { weights, ...outcome } = out;
          if (out.status === 'done') {
            tunedWeights = { runId, weights, model: treq.model };
            // a pipeline worker not started yet gets the tuned model when it starts (its setup)
            if (pipelineStarted) await (await pipeline.get()).setTuned(weights.slice(), runId, treq.model);
          }
          await runStatus(runId, {
            status: out.status === 'done' ? 'done' : out.status === 'paused' ? 'paused' : 'failed',
            step: out.step, totalSteps: out.totalSteps, ...(out.message && { error: out.message }),
          });
          return outcome;
        } catch (e) {
          // a worker killed mid-save leaves the previous checkpoint (one transaction per save): Resume works
          const aborted = (e as Error).name === 'AbortError';
          await runStatus(runId, aborted ? { status: 'paused' } : { status: 'failed', error: (e as Error).message });
          throw e;
        }
      });
    },

    async evaluate(req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult> {
      const r = await pipeline.call((p, port) => p.evaluate(req, onProgress && Comlink.proxy(onProgress), port), signal, grace);
      metrics[req.which] = r.metrics;
      return r;
    },

    async search(query: string, k: number, which: 'baseline' | 'tuned', signal?: AbortSignal): Promise<SearchHit[]> {
      return pipeline.call((r, port) => r.search(query, k, which, port), signal, grace);
    },

    async exportZip(runId: string, card?: { name?: string; description?: string }): Promise<Blob> {
      const req = await requestOf(runId);
      const treq = req && (await trainerRequest(req));
      const zip = await (await trainer.get()).exportZip(runId, treq, { ...card, metricsBefore: metrics.baseline, metricsAfter: metrics.tuned });
      return new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    },

    async setImages(source, signal): Promise<ImageSummary> {
      const summary = await pipeline.call((r) => r.setImages(source), signal, grace);
      images = source;
      return summary;
    },

    async checkImages(onProgress, signal): Promise<ImageSummary> {
      return pipeline.call((r, port) => r.checkImages(onProgress && Comlink.proxy(onProgress), port), signal, grace);
    },

    async estimateClip(req: ClipEstimateRequest): Promise<Estimate> {
      return (await pipeline.get()).estimateClip(req);
    },

    async inspectClip(spec, signal): Promise<ClipShape & { id: string }> {
      return pipeline.call((r) => r.inspectClip(spec), signal, grace);
    },

    dispose(): void {
      trainer.terminate();
      pipeline.terminate();
      pipelineStarted = false;
    },
  };
}
