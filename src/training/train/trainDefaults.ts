import type { LossName } from '../losses/loss.ts';
import type { SchedulerName } from '../optim/schedule.ts';

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
