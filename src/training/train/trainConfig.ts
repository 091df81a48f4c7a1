import { checkMatryoshka } from '../losses/matryoshka.ts';
import type { LossName } from '../losses/loss.ts';
import { lossNames } from '../losses/registry.ts';
import { schedulerNames, warmupStepsFor, type SchedulerName } from '../optim/schedule.ts';

/**
 * A training run is plain data (nanoGPT style): every field has a default here, the CLI and the UI only
 * override. Defaults follow sentence-transformers / HF TrainingArguments except batchSize (see below).
 */
export interface TrainConfig {
  loss: LossName;
  epochs: number;
  /** total optimizer steps; overrides epochs (HF max_steps: epochs repeat until reached) */
  steps?: number;
  /**
   * 16: SentenceTransformer.fit's default. HF's per_device_train_batch_size default (8) is small for
   * in-batch negatives, and 32+ strains browser memory with a base-size BERT.
   */
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  /** used when warmupSteps is 0: ceil(ratio * totalSteps), like HF warmup_ratio */
  warmupRatio: number;
  scheduler: SchedulerName;
  /** clip_grad_norm_ max norm; 0 disables clipping */
  maxGradNorm: number;
  /** mnrl similarity scale */
  scale: number;
  /** cached-mnrl (default 32) and clip (unset: one pass): rows per forward pass through GradCache; the batch may be far larger */
  miniBatchSize?: number;
  /** MatryoshkaLoss around the text loss: prefix sizes of the embedding (e.g. 384, 256, 128, 64) and their weights */
  matryoshkaDims?: number[];
  matryoshkaWeights?: number[];
  seed: number;
  shuffle: boolean;
  /** sentence-transformers' BatchSamplers.NO_DUPLICATES: no text appears twice in a batch (in-batch negatives stay true negatives) */
  noDuplicates?: boolean;
  /** overrides the model config's hidden and attention dropout when set */
  dropout?: number;
  /** 0 = never (an evaluation still runs at the end when an evaluator is given) */
  evalEverySteps: number;
  /** 0 = never; a checkpoint is also saved when a run is aborted */
  checkpointEverySteps: number;
  /** HF load_best_model_at_end: end with the weights of the best periodic evaluation (needs evalEverySteps) */
  loadBestModelAtEnd?: boolean;
  /** HF metric_for_best_model (greater is better); default ndcg@10 */
  metricForBestModel?: string;
  /** HF EarlyStoppingCallback: stop after this many evaluations without improvement (needs evalEverySteps) */
  earlyStoppingPatience?: number;
  /** the improvement that resets the patience must exceed this; default 0 */
  earlyStoppingThreshold?: number;
  /** step events are emitted every this many steps (and on the last step) */
  logEverySteps: number;
  /**
   * CLIP only (open_clip's --lock-text / --lock-image): freeze a tower except its last `unlocked*Layers`
   * encoder layers (plus its final norm and projection when any layer is unlocked).
   */
  lockText?: boolean;
  lockImage?: boolean;
  unlockedTextLayers?: number;
  unlockedImageLayers?: number;
}

/** The lock fields of a config; a resume must use the same ones (the optimizer state covers exactly the unlocked parameters). */
export const lockFields = ['lockText', 'lockImage', 'unlockedTextLayers', 'unlockedImageLayers'] as const;

/**
 * Fine-tuning defaults for CLIP (open_clip fine-tune recipes, e.g. WiSE-FT / FLYP): AdamW at a small lr so the
 * pretrained alignment is not destroyed, weight decay 0.1 (none on gains, biases, embeddings and the
 * temperature), 10% linear warmup then cosine decay. Batch 8 is small for a contrastive loss but what a browser
 * holds with ViT-B/32; the CLI may raise it.
 */
export const clipTrainDefaults: Partial<TrainConfig> = { lr: 1e-5, batchSize: 8, weightDecay: 0.1, warmupRatio: 0.1, scheduler: 'cosine' };

export const defaultTrainConfig: Omit<TrainConfig, 'loss'> = {
  epochs: 1,
  batchSize: 16,
  lr: 2e-5,
  weightDecay: 0.01,
  warmupSteps: 0,
  warmupRatio: 0,
  scheduler: 'linear',
  maxGradNorm: 1.0,
  scale: 20,
  seed: 42,
  shuffle: true,
  evalEverySteps: 0,
  checkpointEverySteps: 0,
  logEverySteps: 1,
};

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
