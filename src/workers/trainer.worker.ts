/// <reference lib="webworker" />
/** The trainer worker: TrainerSession (src/lab/trainerSession.ts) over Comlink. */
import { selectBackend } from './backend.ts';
import { useDatabase } from './workerStorage.ts';
import { exposeSession } from './exposeSession.ts';
import { trainerMethods, type TrainerWorkerApi, type WorkerControl } from '../lab/api/workerMethods.ts';

const control: WorkerControl = {
  init(opts = {}) {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
};

// selectBackend is memoized: after init it only makes sure no call runs before the backend is active.
// The session's code loads at the first call. The tuned weights and the zip are not kept here, so they move
// to the page instead of being copied.
exposeSession<TrainerWorkerApi, 'init'>(() => import('./trainerWorkerSession.ts').then((m) => m.createTrainerSession()), trainerMethods, {
  own: control,
  before: () => selectBackend(),
  transfer: ['train', 'exportZip'],
});
