/// <reference lib="webworker" />
/** The pipeline worker (data, base/tuned models, mining, cross-encoder scoring, evaluation, search): PipelineSession over Comlink. */
import { selectBackend } from './backend.ts';
import { useDatabase } from './workerStorage.ts';
import { exposeSession } from './exposeSession.ts';
import { pipelineMethods, type PipelineWorkerApi, type WorkerControl } from '../lab/api/workerMethods.ts';

const control: WorkerControl = {
  init(opts = {}) {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
};

// selectBackend is memoized: after init it only makes sure no call runs before the backend is active; the
// session's code loads at the first call
exposeSession<PipelineWorkerApi, 'init'>(() => import('./pipelineWorkerSession.ts').then((m) => m.createPipelineSession()), pipelineMethods, {
  own: control,
  before: () => selectBackend(),
});
