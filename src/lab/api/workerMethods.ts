/**
 * The methods each worker serves, named once for both sides: the worker exposes exactly these
 * (src/workers/exposeSession.ts) and the client bridge generates exactly these calls
 * (src/app/bridge/workerBridge.ts). A new worker method is its session method plus its name here.
 *
 * A method keeps its session signature across the boundary: the client passes AbortSignals and callbacks
 * as they are (the bridge sends them as a MessagePort and a Comlink proxy), and every result is a promise.
 * The session imports are types only, so neither side loads the other's code.
 */
import type { PipelineSession } from '../pipelineSession.ts';
import type { TrainerSession } from '../trainerSession.ts';
import type { BackendInfo, BackendName } from './labApi.ts';

export type { ExportCard, TrainerOutcome, TrainerRequest } from '../trainerSession.ts';

export interface WorkerInit {
  prefer?: BackendName;
  only?: boolean;
  /** IndexedDB database name; default 'ftlab' */
  dbName?: string;
}

/** Served by every worker itself, before any session method: picks the tfjs backend and the database. */
export interface WorkerControl {
  init(opts?: WorkerInit): Promise<BackendInfo>;
}

export const pipelineMethods = [
  'init', 'setData', 'resolve', 'inspectModel', 'estimate', 'loadModel', 'setTuned', 'prepare', 'evalSet', 'evaluate', 'search',
  'setImages', 'checkImages',
] as const;

export const trainerMethods = ['init', 'train', 'exportZip'] as const;

export type PipelineWorkerApi = WorkerControl & Pick<PipelineSession, Exclude<(typeof pipelineMethods)[number], keyof WorkerControl>>;
export type TrainerWorkerApi = WorkerControl & Pick<TrainerSession, Exclude<(typeof trainerMethods)[number], keyof WorkerControl>>;
