/// <reference lib="webworker" />
/**
 * The pipeline worker's session with its browser environment. Its own module so the worker imports it at the
 * first call (loading data, a model), not at start: the first page load stays small.
 */
import { deviceLimits } from './backend.ts';
import { cachedHub, labDb } from './workerStorage.ts';
import { browserImageSet } from './browserImageSet.ts';
import { PipelineSession } from '../lab/pipelineSession.ts';

export function createPipelineSession(): PipelineSession {
  return new PipelineSession({
    device: deviceLimits,
    wrap: cachedHub,
    baseUrl: `${self.location.origin}/`,
    imageSet: (images) => browserImageSet(images, { db: labDb }),
  });
}
