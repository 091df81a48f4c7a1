/// <reference lib="webworker" />
/** The trainer worker: a thin Comlink adapter over TrainerSession (src/lab/trainerSession.ts). */
import * as Comlink from 'comlink';
import { deviceLimits, selectBackend } from './backend.ts';
import { portSignal } from '../lab/api/abortPort.ts';
import { cachedHub, labDb, useDatabase } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import { idbCheckpointStore } from '../storage/index.ts';
import { TrainerSession, type ExportCard, type TrainerOutcome, type TrainerRequest } from '../lab/trainerSession.ts';
import type { BackendInfo, BackendName, ProgressCallback, TrainEvent } from '../lab/api/labApi.ts';

const session = new TrainerSession({
  device: deviceLimits,
  wrap: cachedHub,
  // the pipeline worker's image check filled the IndexedDB cache: training reads the images from there
  imageSet: (images) => browserImageSet(images, { db: labDb }),
  checkpointStore: async (runId) => idbCheckpointStore(await labDb(), runId),
});

const api = {
  init(opts: { prefer?: BackendName; only?: boolean; dbName?: string } = {}): Promise<BackendInfo> {
    if (opts.dbName) useDatabase(opts.dbName);
    return selectBackend(opts);
  },
  async train(runId: string, req: TrainerRequest, onEvent?: (e: TrainEvent) => void, abort?: MessagePort): Promise<TrainerOutcome> {
    await selectBackend();
    const out = await session.train(runId, req, onEvent, portSignal(abort));
    return Comlink.transfer(out, [out.weights.buffer as ArrayBuffer]);
  },
  async exportZip(runId: string, req: TrainerRequest | undefined, card: ExportCard, onProgress?: ProgressCallback): Promise<Uint8Array> {
    await selectBackend();
    const zip = await session.exportZip(runId, req, card, onProgress);
    return Comlink.transfer(zip, [zip.buffer as ArrayBuffer]);
  },
  dispose(): void {
    session.dispose();
  },
};

export type TrainerWorkerApi = typeof api;

Comlink.expose(api);
