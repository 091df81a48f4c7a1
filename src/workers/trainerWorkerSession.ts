/// <reference lib="webworker" />
/**
 * The trainer worker's session with its browser environment (IndexedDB checkpoints and image cache, the
 * cached Hub). Its own module so the worker imports it at the first call, not at start: the badge's
 * backend check needs only tfjs, and the first page load stays small.
 */
import { deviceLimits } from './backend.ts';
import { cachedHub, labDb } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import { idbCheckpointStore } from '../storage/index.ts';
import { TrainerSession } from '../lab/trainerSession.ts';

export function createTrainerSession(): TrainerSession {
  return new TrainerSession({
    device: deviceLimits,
    wrap: cachedHub,
    // the pipeline worker's image check filled the IndexedDB cache: training reads the images from there
    imageSet: (images) => browserImageSet(images, { db: labDb }),
    checkpointStore: async (runId) => idbCheckpointStore(await labDb(), runId),
  });
}
