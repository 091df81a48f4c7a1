/**
 * One training call of the lab: a fresh run, or the continuation of one from its store's latest checkpoint.
 * Pause and cancel are the same thing to the loop, an AbortSignal checked between steps that saves a
 * checkpoint before returning; Resume is simply running again with the same rows and config. Because the
 * checkpoint holds weights, AdamW moments, the data cursor and its RNG, and dropout seeds are a function of
 * (seed, step), a resumed run ends with exactly the weights an uninterrupted run reaches.
 */
import { train } from '../training/train/trainLoop.ts';
import type { TrainableEncoder, TrainResult } from '../training/train/trainTypes.ts';
import type { CheckpointStore } from '../training/train/checkpoint.ts';
import { resolveTrainConfig, totalTrainingSteps } from '../training/train/trainConfig.ts';
import type { TrainRow } from '../training/data/trainRows.ts';
import type { TrainEvent, TrainOutcome, TrainSettings } from './api/labApi.ts';

/** R: the loop's row type (TrainRow for text runs, ClipRow for CLIP runs), matched to the encoder's. */
export interface RunTrainingOptions<R = TrainRow> {
  rows: readonly R[];
  config: TrainSettings;
  /** default 50; 0 = only when paused (and at the end, when a store is given) */
  checkpointEverySteps?: number;
  evalEverySteps?: number;
  store?: CheckpointStore;
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  evaluate?: (step: number) => Promise<Record<string, number>>;
}

export async function runTraining<R = TrainRow>(
  encoder: TrainableEncoder<R>,
  o: RunTrainingOptions<R>,
): Promise<TrainOutcome & { result: TrainResult }> {
  const every = o.checkpointEverySteps ?? o.config.checkpointEverySteps ?? 50;
  // With a store, the final state is always saved (checkpointEverySteps > 0 makes train() save at the end),
  // so a finished run can be exported after a reload.
  const config = {
    ...o.config,
    checkpointEverySteps: o.store ? Math.max(1, every || Number.MAX_SAFE_INTEGER) : every,
    evalEverySteps: o.evalEverySteps ?? o.config.evalEverySteps ?? 0,
  };
  const resolved = resolveTrainConfig(config);
  if (!o.rows.length) throw new Error('no training rows: prepare the data first');
  const resume = await o.store?.loadLatest();
  const totalSteps = totalTrainingSteps(resolved, o.rows.length);
  if (resume) o.onEvent?.({ type: 'resumed', step: resume.step, totalSteps });
  const result = await train(encoder, o.rows, config, { signal: o.signal, onEvent: o.onEvent, evaluate: o.evaluate, store: o.store, resume });
  const last = result.stopped;
  return {
    status: last === 'aborted' ? 'paused' : last === 'nan' ? 'nan' : 'done',
    step: result.step,
    totalSteps: result.totalSteps,
    resumedFrom: resume?.step ?? 0,
    losses: result.losses,
    elapsedMs: result.elapsedMs,
    message: last === 'nan' ? `the loss became NaN at step ${result.step + 1}; the run stopped and the last good checkpoint is kept` : undefined,
    ...(result.best && { best: result.best }),
    ...(result.earlyStopped && { earlyStopped: true }),
    result,
  };
}
