import type * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import type { PreparedBatch, TextEmbedder } from '../losses/loss.ts';
import type { Checkpoint, CheckpointStore } from './checkpoint.ts';
import type { BestModel } from './bestModel.ts';
import type { lockFields, TrainConfig } from './trainConfig.ts';

/** Tower locks as TrainConfig carries them (CLIP's ClipLocks). */
export type TrainLocks = Pick<TrainConfig, (typeof lockFields)[number]>;

/**
 * What the loop needs from an encoder (structural, so tests may pass lighter encoders). SentenceEncoder is
 * one as is; CLIP goes through an adapter (clipTrainable.ts) that adds the optional hooks.
 */
export interface TrainableEncoder<R = TrainRow> extends TextEmbedder {
  model: {
    params: Map<string, tf.Variable>;
    trainableParams(): Map<string, tf.Variable>;
    /** CLIP: freezes tower parts; called before trainableParams() whenever present */
    setLocks?(locks: TrainLocks): void;
  };
  dropout?: { hidden: number; attention: number };
  /**
   * Async inputs of a batch that cannot be produced inside the synchronous gradient closure (CLIP: decode and
   * preprocess the batch's images). The loop disposes the returned tensors after the step.
   */
  prepareBatch?(rows: readonly R[], signal?: AbortSignal): Promise<PreparedBatch>;
  /** runs after each optimizer update (CLIP: clamp the logit scale to [0, ln 100] like open_clip) */
  afterStep?(): void;
  /** parameters exempt from weight decay; default HF Trainer's rule (biases and LayerNorm weights) */
  noDecay?(name: string): boolean;
}

export type StopReason = 'aborted' | 'nan';

export type TrainEvent =
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number;
      examplesPerSec: number;
      elapsedMs: number;
      etaSeconds: number;
    }
  | { type: 'eval'; step: number; epoch: number; metrics: Record<string, number> }
  | { type: 'checkpoint'; step: number }
  | {
      type: 'done';
      step: number;
      loss: number | undefined;
      elapsedMs: number;
      /** the evaluation whose weights the model ends with (loadBestModelAtEnd), and whether patience ran out */
      best?: BestModel;
      earlyStopped?: boolean;
    }
  | { type: 'stopped'; step: number; reason: StopReason; message: string };

export interface TrainHooks {
  /** checked between steps: the run stops after the current step, saving a checkpoint if a store is given */
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  evaluate?: (step: number) => Promise<Record<string, number>>;
  store?: CheckpointStore;
  resume?: Checkpoint;
}

export interface TrainResult {
  /** optimizer updates completed (including those before a resume) */
  step: number;
  totalSteps: number;
  epoch: number;
  stopped?: StopReason;
  /** loss of each step run in this call */
  losses: number[];
  evals: { step: number; metrics: Record<string, number> }[];
  elapsedMs: number;
  config: TrainConfig;
  /** the best periodic evaluation; with loadBestModelAtEnd the weights are its */
  best?: BestModel;
  /** the run ended before totalSteps because earlyStoppingPatience evaluations brought no improvement */
  earlyStopped?: boolean;
}
