/// <reference lib="webworker" />
/** The trainer worker: TrainerSession (src/lab/trainerSession.ts) over Comlink. */
import { deviceLimits, selectBackend } from './backend.ts';
import { cachedHub, labDb, useDatabase } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import { exposeSession } from './exposeSession.ts';
import { idbCheckpointStore } from '../storage/index.ts';
import { TrainerSession } from '../lab/trainerSession.ts';
import { trainerMethods, type TrainerWorkerApi, type WorkerControl } from '../lab/api/workerMethods.ts';

const session = new TrainerSession({
  device: deviceLimits,
  wrap: cachedHub,
  // the pipeline worker's image check filled the IndexedDB cache: training reads the images from there
  imageSet: (images) => browserImageSet(images, { db: labDb }),
  checkpointStore: async (runId) => idbCheckpointStore(await labDb(), runId),
});

const control: WorkerControl = {
  init(opts = {}) {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
};

// selectBackend is memoized: after init it only makes sure no call runs before the backend is active.
// The tuned weights and the zip are not kept here, so they move to the page instead of being copied.
exposeSession<TrainerWorkerApi, 'init'>(session, trainerMethods, { own: control, before: () => selectBackend(), transfer: ['train', 'exportZip'] });
