import { checkMatryoshka } from '../losses/matryoshka.ts';
import { lossNames } from '../losses/registry.ts';
import { schedulerNames, warmupStepsFor } from '../optim/schedule.ts';
import type { TrainConfig } from './trainDefaults.ts';
import { defaultTrainConfig, lockFields } from './trainDefaults.ts';

// the defaults live apart from the validation, which needs the loss registry (and so tfjs): the lab's page reads them without loading tfjs
export * from './trainDefaults.ts';

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

/** Fills defaults and validates; errors name the field. */
export function resolveTrainConfig(partial: Partial<TrainConfig> & { loss: string }): TrainConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const c = { ...defaultTrainConfig, ...defined } as TrainConfig;
  if (!lossNames.includes(c.loss)) throw new TrainConfigError(`loss: unknown loss "${c.loss}" (supported: ${lossNames.join(', ')})`);
  if (!schedulerNames.includes(c.scheduler)) {
    throw new TrainConfigError(`scheduler: unknown scheduler "${c.scheduler}" (supported: ${schedulerNames.join(', ')})`);
  }
  const positiveInt = (k: keyof TrainConfig) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new TrainConfigError(`${k}: must be a positive integer, got ${v}`);
  };
  const nonNegative = (k: keyof TrainConfig, integer = false) => {
    const v = c[k] as number;
    if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw new TrainConfigError(`${k}: must be a non-negative ${integer ? 'integer' : 'number'}, got ${v}`);
    }
  };
  positiveInt('epochs');
  positiveInt('batchSize');
  positiveInt('logEverySteps');
  if (c.steps !== undefined) positiveInt('steps');
  if (c.miniBatchSize !== undefined) {
    positiveInt('miniBatchSize');
    if (c.loss !== 'cached-mnrl' && c.loss !== 'clip')
      throw new TrainConfigError(`miniBatchSize: applies to the cached-mnrl and clip losses only (loss is ${c.loss})`);
  }
  if (c.matryoshkaWeights !== undefined && c.matryoshkaDims === undefined) throw new TrainConfigError('matryoshkaWeights: needs matryoshkaDims');
  if (c.matryoshkaDims !== undefined) {
    if (c.loss === 'clip') throw new TrainConfigError(`matryoshkaDims: applies to the mnrl, cached-mnrl and margin-mse losses (loss is ${c.loss})`);
    try {
      checkMatryoshka({ dims: c.matryoshkaDims, weights: c.matryoshkaWeights }, 'matryoshkaDims:');
    } catch (e) {
      throw new TrainConfigError((e as Error).message);
    }
  }
  for (const k of ['lr', 'weightDecay', 'warmupRatio', 'maxGradNorm', 'scale'] as const) nonNegative(k);
  for (const k of ['warmupSteps', 'evalEverySteps', 'checkpointEverySteps', 'seed'] as const) nonNegative(k, true);
  if (c.earlyStoppingPatience !== undefined) positiveInt('earlyStoppingPatience');
  if (c.earlyStoppingThreshold !== undefined) nonNegative('earlyStoppingThreshold');
  for (const k of ['loadBestModelAtEnd', 'earlyStoppingPatience'] as const)
    if (c[k] && !c.evalEverySteps) throw new TrainConfigError(`${k}: needs periodic evaluation (evalEverySteps > 0) on a validation split`);
  if (c.warmupRatio > 1) throw new TrainConfigError(`warmupRatio: must be within [0, 1], got ${c.warmupRatio}`);
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) throw new TrainConfigError(`dropout: must be within [0, 1), got ${c.dropout}`);
  for (const k of ['unlockedTextLayers', 'unlockedImageLayers'] as const) if (c[k] !== undefined) nonNegative(k, true);
  const locked = lockFields.filter((k) => c[k] !== undefined && c[k] !== false);
  if (locked.length && c.loss !== 'clip') throw new TrainConfigError(`${locked[0]}: tower locks apply to the clip loss only (loss is ${c.loss})`);
  if (c.unlockedTextLayers && !c.lockText) throw new TrainConfigError('unlockedTextLayers: only meaningful with lockText');
  if (c.unlockedImageLayers && !c.lockImage) throw new TrainConfigError('unlockedImageLayers: only meaningful with lockImage');
  return c;
}

/** Batches per epoch with drop_last false. */
export function batchesPerEpoch(numRows: number, batchSize: number): number {
  return Math.ceil(numRows / batchSize);
}

/** steps ?? epochs * ceil(rows / batchSize) */
export function totalTrainingSteps(c: TrainConfig, numRows: number): number {
  return c.steps ?? c.epochs * batchesPerEpoch(numRows, c.batchSize);
}

export function resolvedWarmupSteps(c: TrainConfig, numRows: number): number {
  return warmupStepsFor(totalTrainingSteps(c, numRows), c.warmupSteps, c.warmupRatio);
}
