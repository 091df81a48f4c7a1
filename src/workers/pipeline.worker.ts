/// <reference lib="webworker" />
/** The pipeline worker (data, base/tuned models, mining, cross-encoder scoring, evaluation, search): PipelineSession over Comlink. */
import { deviceLimits, selectBackend } from './backend.ts';
import { cachedHub, labDb, useDatabase } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import { exposeSession } from './exposeSession.ts';
import { PipelineSession } from '../lab/pipelineSession.ts';
import { pipelineMethods, type PipelineWorkerApi, type WorkerControl } from '../lab/api/workerMethods.ts';

const session = new PipelineSession({
  device: deviceLimits,
  wrap: cachedHub,
  baseUrl: `${self.location.origin}/`,
  imageSet: (images) => browserImageSet(images, { db: labDb }),
});

const control: WorkerControl = {
  init(opts = {}) {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
};

// selectBackend is memoized: after init it only makes sure no call runs before the backend is active
exposeSession<PipelineWorkerApi, 'init'>(session, pipelineMethods, { own: control, before: () => selectBackend() });
