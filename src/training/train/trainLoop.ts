import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import type { PreparedBatch, TextEmbedder } from '../losses/loss.ts';
import { createLoss } from '../losses/registry.ts';
import type { Optimizer, UpdateResult } from '../optim/adamw.ts';
import { createAdamW } from '../optim/createAdamW.ts';
import { readVariables } from '../models/readVariables.ts';
import { lrLambda } from '../optim/schedule.ts';
import { BatchCursor } from './batches.ts';
import type { Checkpoint, CheckpointStore } from './checkpoint.ts';
import { lockFields, resolveTrainConfig, resolvedWarmupSteps, totalTrainingSteps, type TrainConfig } from './trainConfig.ts';

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
  | { type: 'done'; step: number; loss: number | undefined; elapsedMs: number }
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
}

/** Dropout seed of a step, a pure function of (seed, step) so a resumed run draws the same masks. */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function restore<R>(encoder: TrainableEncoder<R>, opt: Optimizer, cursor: BatchCursor, c: Checkpoint, config: TrainConfig, numRows: number): void {
  if (c.numRows !== numRows) throw new Error(`resume: the checkpoint was trained on ${c.numRows} rows, this run has ${numRows}`);
  for (const k of ['batchSize', 'shuffle', 'seed', 'loss'] as const) {
    if (c.config[k] !== config[k]) throw new Error(`resume: ${k} is ${config[k]} but the checkpoint used ${c.config[k]}`);
  }
  // unset and false/0 mean the same (checkpoints from before locks existed have none)
  for (const k of lockFields) {
    const [was, is] = [c.config[k] || false, config[k] || false];
    if (was !== is) throw new Error(`resume: ${k} is ${is} but the checkpoint used ${was}`);
  }
  for (const [name, v] of encoder.model.params) {
    const t = c.weights.get(name);
    if (!t) throw new Error(`resume: checkpoint has no weights for "${name}"`);
    if (t.shape.join(',') !== v.shape.join(','))
      throw new Error(`resume: "${name}" has shape [${t.shape}] in the checkpoint, [${v.shape}] in the model`);
    tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, 'float32')));
  }
  opt.importState(c.optimizer);
  cursor.setState({ epoch: c.epoch, batchInEpoch: c.batchInEpoch, rngState: c.rngState });
}

/**
 * The training loop of sentence-transformers' trainer, one update per batch: forward + backward over
 * the trainable parameters, clip_grad_norm_, AdamW at the scheduled lr. Stops between steps on abort,
 * and before the update on a non-finite loss or gradient norm, returning the state rather than throwing.
 */
export async function train<R = TrainRow>(
  encoder: TrainableEncoder<R>,
  rows: readonly R[],
  partialConfig: Partial<TrainConfig> & { loss: string },
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const config = resolveTrainConfig(partialConfig);
  // The loss checks the rows; that the encoder fits the loss is structural, checked where it can be.
  const loss = createLoss<TrainableEncoder<R>, R>(config.loss, { scale: config.scale });
  loss.validateRows(rows);
  if (config.loss === 'clip' && !encoder.prepareBatch) throw new Error('loss clip needs a CLIP encoder with an image source (prepareBatch)');
  if (config.dropout !== undefined && encoder.dropout) encoder.dropout = { hidden: config.dropout, attention: config.dropout };
  const locks: TrainLocks = Object.fromEntries(lockFields.map((k) => [k, config[k]]));
  if (encoder.model.setLocks) encoder.model.setLocks(locks);
  else if (lockFields.some((k) => config[k])) throw new Error('tower locks need a CLIP model');
  const params = encoder.model.trainableParams();
  const varList = [...params.values()];
  const paramName = new Map([...params].map(([name, v]) => [v.name, name]));
  const opt = createAdamW(params, { weightDecay: config.weightDecay, noDecay: encoder.noDecay?.bind(encoder) });
  const cursor = new BatchCursor(rows.length, config.batchSize, config.shuffle, config.seed);
  const totalSteps = totalTrainingSteps(config, rows.length);
  const schedule = { warmupSteps: resolvedWarmupSteps(config, rows.length), totalSteps };
  let step = 0;

  const emit = (e: TrainEvent) => hooks.onEvent?.(e);
  const start = performance.now();
  const result: TrainResult = { step, totalSteps, epoch: cursor.progress, losses: [], evals: [], elapsedMs: 0, config };
  const checkpoint = async (): Promise<Checkpoint> => {
    const pos = cursor.getState();
    return { step, ...pos, weights: await readVariables(encoder.model.params), optimizer: await opt.exportState(), config, numRows: rows.length };
  };
  const saveCheckpoint = async () => {
    if (!hooks.store) return;
    await hooks.store.save(await checkpoint());
    emit({ type: 'checkpoint', step });
  };
  const runEval = async () => {
    if (!hooks.evaluate) return;
    const metrics = await hooks.evaluate(step);
    result.evals.push({ step, metrics });
    emit({ type: 'eval', step, epoch: cursor.progress, metrics });
  };
  const finish = (stopped?: StopReason) => {
    opt.dispose();
    return Object.assign(result, { step, epoch: cursor.progress, stopped, elapsedMs: performance.now() - start });
  };
  const stopAborted = async () => {
    await saveCheckpoint();
    emit({ type: 'stopped', step, reason: 'aborted', message: `stopped by request after step ${step} of ${totalSteps}` });
    return finish('aborted');
  };

  let lastEval = -1;
  let lastSave = -1;
  let logT = performance.now();
  let logExamples = 0;
  try {
    if (hooks.resume) {
      restore(encoder, opt, cursor, hooks.resume, config, rows.length);
      step = result.step = hooks.resume.step;
      result.epoch = cursor.progress;
    }
    while (step < totalSteps) {
      await yieldToEvents();
      if (hooks.signal?.aborted) return await stopAborted();
      const prevPos = cursor.getState();
      const batch = cursor.next().map((i) => rows[i]!);
      const lr = config.lr * lrLambda(config.scheduler, step, schedule);
      let prepared: PreparedBatch | undefined;
      try {
        prepared = await encoder.prepareBatch?.(batch, hooks.signal);
      } catch (e) {
        if (!hooks.signal?.aborted) throw e;
        cursor.setState(prevPos); // an abort during the fetch: this batch was not trained on
        return await stopAborted();
      }
      let value: tf.Scalar;
      let named: tf.NamedTensorMap;
      try {
        ({ value, grads: named } = tf.variableGrads(
          () => loss.compute(encoder, batch, { training: true, seed: stepSeed(config.seed, step), batch: prepared }),
          varList,
        ));
      } finally {
        prepared?.pixels?.dispose();
      }
      const grads = new Map(Object.entries(named).map(([vName, g]) => [paramName.get(vName) ?? vName, g]));
      let update: UpdateResult;
      try {
        // clipping, the update and the non-finite check in one call that reads loss and norm back once
        update = await opt.update(grads, value, lr, config.maxGradNorm);
      } finally {
        value.dispose();
        for (const g of grads.values()) g.dispose();
      }
      const { loss: lossValue, norm: gradNorm } = update;
      if (!update.applied) {
        cursor.setState(prevPos); // the failed batch was not consumed
        const what = Number.isFinite(lossValue) ? `gradient norm is ${gradNorm}` : `loss is ${lossValue}`;
        emit({
          type: 'stopped',
          step,
          reason: 'nan',
          message: `${what} at step ${step + 1}; stopped before the update, weights are those after step ${step}`,
        });
        return finish('nan');
      }
      encoder.afterStep?.();
      step += 1;
      result.losses.push(lossValue);
      logExamples += batch.length;

      if (step % config.logEverySteps === 0 || step === totalSteps) {
        const now = performance.now();
        emit({
          type: 'step',
          step,
          totalSteps,
          epoch: cursor.progress,
          loss: lossValue,
          lr,
          gradNorm,
          examplesPerSec: logExamples / Math.max(1e-9, (now - logT) / 1000),
          elapsedMs: now - start,
          etaSeconds: ((totalSteps - step) * (now - start)) / result.losses.length / 1000,
        });
        logT = now;
        logExamples = 0;
      }
      if (config.evalEverySteps > 0 && step % config.evalEverySteps === 0) {
        await runEval();
        lastEval = step;
      }
      if (config.checkpointEverySteps > 0 && step % config.checkpointEverySteps === 0) {
        await saveCheckpoint();
        lastSave = step;
      }
    }
    if (lastEval !== step) await runEval();
    if (config.checkpointEverySteps > 0 && lastSave !== step) await saveCheckpoint();
    emit({ type: 'done', step, loss: result.losses.at(-1), elapsedMs: performance.now() - start });
    return finish();
  } catch (e) {
    opt.dispose();
    throw e;
  }
}
