/**
 * The client bridge: the only thing the UI talks to (LabClient in labApi.ts). It owns the two workers
 * (each a workerBridge.ts: created lazily, terminated on dispose or when an aborted call does not settle in
 * time), remembers what a fresh worker must be given again, holds the run's Web Lock while it trains, and
 * keeps the run record's status in IndexedDB (H11's storage) in step.
 *
 * A recreated pipeline worker gets the last data and base model again before its next call, so a killed
 * hung call costs time, not state.
 */
import type { BackendName, DataSummary, LabClient, LabData, ModelSpec, TrainEvent, TrainOutcome, TrainRequest } from '../../lab/api/labApi.ts';
import type { ImageSource } from '../../lab/api/clipRequest.ts';
import type { ShipChoice } from '../../lab/api/labApi.ts';
import {
  pipelineMethods,
  trainerMethods,
  type ExportCard,
  type PipelineWorkerApi,
  type TrainerRequest,
  type TrainerWorkerApi,
} from '../../lab/api/workerMethods.ts';
import { bridgeWorker, type WorkerLike } from './workerBridge.ts';
import { getRun, openLabDb, updateRun, withRunLock, type LabDb } from '../../storage/index.ts';

export interface LabClientOptions {
  /** move this backend to the front of webgpu → webgl → wasm → cpu (e.g. from a `?backend=` URL parameter) */
  prefer?: BackendName;
  /** use only `prefer` (tests) */
  only?: boolean;
  /** wasm threads per worker; default every logical core */
  threads?: number;
  /** IndexedDB database name; default 'ftlab' */
  dbName?: string;
  /** how long an aborted call may take to settle before its worker is terminated; default 15 s */
  abortGraceMs?: number;
  /** worker factories (tests can count or replace workers) */
  createTrainer?: () => WorkerLike;
  createPipeline?: () => WorkerLike;
}

export function createLabClient(opts: LabClientOptions = {}): LabClient {
  const grace = opts.abortGraceMs ?? 15_000;
  const init = { prefer: opts.prefer, only: opts.only, threads: opts.threads, dbName: opts.dbName };
  let data: LabData | undefined;
  let base: ModelSpec | undefined;
  let images: ImageSource | undefined;
  let tunedWeights: { runId: string; weights: Uint8Array; model: TrainerRequest['model'] } | undefined;
  const requests = new Map<string, TrainRequest>();
  const metrics: { baseline?: Record<string, number>; tuned?: Record<string, number> } = {};
  /** per run, its best evaluation as the trainer reported it (the zip's model card names the step kept) */
  const bestOf = new Map<string, NonNullable<ExportCard['bestModel']>>();
  let db: Promise<LabDb> | undefined;
  const labDb = () => (db ??= openLabDb(opts.dbName));

  const trainer = bridgeWorker<TrainerWorkerApi>(
    opts.createTrainer ?? (() => new Worker(new URL('../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'ftlab-trainer' })),
    trainerMethods,
    // a training step can hold the GPU for long: pausing gets at least a minute before the worker is killed
    { setup: (w) => w.init(init), graceMs: (m) => (m === 'train' ? Math.max(grace, 60_000) : grace) },
  );
  // A fresh pipeline worker is brought back to the client's state: data, base model, tuned weights.
  const pipeline = bridgeWorker<PipelineWorkerApi>(
    opts.createPipeline ??
      (() => new Worker(new URL('../../workers/pipeline.worker.ts', import.meta.url), { type: 'module', name: 'ftlab-pipeline' })),
    pipelineMethods,
    {
      graceMs: grace,
      setup: async (w) => {
        await w.init(init);
        if (data) await w.setData(data);
        // the check's results are in IndexedDB: a re-check after a restart costs no download
        if (data && images) {
          await w.setImages(images);
          await w.checkImages();
        }
        if (base) await w.loadModel('baseline', base);
        if (tunedWeights) await w.setTuned(tunedWeights.weights.slice(), tunedWeights.runId, tunedWeights.model);
      },
    },
  );
  const pipe = pipeline.calls();

  /** best effort: the run record may not exist (the UI creates runs) or storage may be unavailable */
  const runStatus = async (runId: string, patch: Parameters<typeof updateRun>[2]) => {
    try {
      const d = await labDb();
      if (await getRun(d, runId)) await updateRun(d, runId, patch);
    } catch {
      /* shown by the UI's own storage status */
    }
  };

  /** what the trainer needs on its own: a materialized model and, for training, the periodic evaluation's data */
  const trainerRequest = async (req: TrainRequest, forTraining = false): Promise<TrainerRequest> => {
    const model = req.model.kind === 'scratch' || req.model.kind === 'scratch-clip' ? await pipe.resolve(req.model) : req.model;
    const evalSet = forTraining && (req.evalEverySteps ?? 0) > 0 ? await pipe.evalSet(req.evalQueries) : undefined;
    return { ...req, model, ...(evalSet && { evalSet }) };
  };

  const requestOf = async (runId: string): Promise<TrainRequest | undefined> => {
    if (requests.has(runId)) return requests.get(runId);
    try {
      const cfg = (await getRun(await labDb(), runId))?.config as ({ request?: TrainRequest } & Partial<TrainRequest>) | undefined;
      const req = cfg?.model && cfg.rows ? (cfg as TrainRequest) : cfg?.request;
      return req?.model && req.rows ? req : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    // the same signatures on both sides: these go straight through the bridge
    estimate: pipe.estimate,
    calibrate: pipe.calibrate,
    prepare: pipe.prepare,
    search: pipe.search,
    variants: pipe.variants,
    checkImages: pipe.checkImages,

    backend: () => trainer.calls().init(init),
    inspectModel: (spec, signal) => pipeline.calls(signal).inspectModel(spec),

    async setData(d, onProgress, signal): Promise<DataSummary> {
      const summary = await pipeline.calls(signal).setData(d);
      data = d;
      images = undefined;
      onProgress?.({ phase: 'load', done: summary.documents, total: summary.documents, unit: 'items' });
      return summary;
    },

    async loadModel(spec, onProgress, signal) {
      const info = await pipe.loadModel('baseline', spec, onProgress, signal);
      base = spec;
      tunedWeights = undefined;
      return info;
    },

    async train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome> {
      requests.set(runId, req);
      const treq = await trainerRequest(req, true);
      return withRunLock(runId, async () => {
        await runStatus(runId, { status: 'running', error: undefined });
        try {
          const out = await trainer.calls().train(runId, treq, onEvent, signal);
          const { weights, ...outcome } = out;
          if (out.best) bestOf.set(runId, { ...out.best, kept: Boolean(treq.config.loadBestModelAtEnd), earlyStopped: Boolean(out.earlyStopped) });
          if (out.status === 'done') {
            tunedWeights = { runId, weights, model: treq.model };
            // a pipeline worker not running yet gets the tuned model when it starts (its setup)
            if (pipeline.running) await pipe.setTuned(weights.slice(), runId, treq.model);
          }
          await runStatus(runId, {
            status: out.status === 'done' ? 'done' : out.status === 'paused' ? 'paused' : 'failed',
            step: out.step,
            totalSteps: out.totalSteps,
            ...(out.message && { error: out.message }),
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

    async evaluate(req, onProgress, signal) {
      const r = await pipe.evaluate(req, onProgress, signal);
      // the model card reports the models' own rankings (BM25 and the hybrid are the Evaluate step's)
      if (req.which !== 'bm25' && !req.hybrid) metrics[req.which] = r.metrics;
      return r;
    },

    async exportZip(runId: string, card?: { name?: string; description?: string; ship?: ShipChoice }): Promise<Blob> {
      const req = await requestOf(runId);
      const treq = req && (await trainerRequest(req));
      const zip = await trainer.calls().exportZip(runId, treq, {
        ...card,
        metricsBefore: metrics.baseline,
        metricsAfter: metrics.tuned,
        ...(bestOf.has(runId) && { bestModel: bestOf.get(runId) }),
      });
      return new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    },

    async setImages(source, signal) {
      const summary = await pipeline.calls(signal).setImages(source);
      images = source;
      return summary;
    },

    dispose(): void {
      trainer.terminate();
      pipeline.terminate();
    },
  };
}
