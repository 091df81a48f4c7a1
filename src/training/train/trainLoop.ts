import * as tf from '@tensorflow/tfjs';
import type { TrainRow } from '../data/trainRows.ts';
import type { PreparedBatch } from '../losses/loss.ts';
import { createLoss } from '../losses/registry.ts';
import type { UpdateResult } from '../optim/adamw.ts';
import { createAdamW } from '../optim/createAdamW.ts';
import { readVariables } from '../models/readVariables.ts';
import { restoreCheckpoint } from './restoreCheckpoint.ts';
import { BestModelTracker } from './bestModel.ts';
import { lrLambda } from '../optim/schedule.ts';
import { BatchCursor } from './batches.ts';
import type { Checkpoint } from './checkpoint.ts';
import { lockFields, resolveTrainConfig, resolvedWarmupSteps, totalTrainingSteps, type TrainConfig } from './trainConfig.ts';
import type { StopReason, TrainEvent, TrainHooks, TrainLocks, TrainResult, TrainableEncoder } from './trainTypes.ts';

/** Dropout seed of a step, a pure function of (seed, step) so a resumed run draws the same masks. */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

/** A submitted optimizer update whose result is not read yet, with what undoing or logging its batch needs. */
interface InFlight {
  result: Promise<UpdateResult>;
  prevPos: ReturnType<BatchCursor['getState']>;
  examples: number;
  lr: number;
  /** epochs done once this batch is trained (the cursor is one batch further while the next step is built) */
  epoch: number;
}

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

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
  const loss = createLoss<TrainableEncoder<R>, R>(config.loss, {
    scale: config.scale,
    miniBatchSize: config.miniBatchSize,
    matryoshkaDims: config.matryoshkaDims,
    matryoshkaWeights: config.matryoshkaWeights,
  });
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
  // no-duplicates batches key each row by its texts (every string column, as sentence-transformers does)
  const keys = config.noDuplicates ? (r: number) => Object.values(rows[r] as object).filter((v): v is string => typeof v === 'string') : undefined;
  const cursor = new BatchCursor(rows.length, config.batchSize, config.shuffle, config.seed, keys);
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
  const tracker =
    config.loadBestModelAtEnd || config.earlyStoppingPatience
      ? new BestModelTracker(params, {
          metric: config.metricForBestModel,
          loadBest: config.loadBestModelAtEnd,
          patience: config.earlyStoppingPatience,
          threshold: config.earlyStoppingThreshold,
        })
      : undefined;
  let patienceOut = false;
  const runEval = async () => {
    if (!hooks.evaluate) return;
    const metrics = await hooks.evaluate(step);
    result.evals.push({ step, metrics });
    emit({ type: 'eval', step, epoch: cursor.progress, metrics });
    if (tracker?.observe(step, metrics)) patienceOut = true;
  };
  /** the end of a run that was not stopped: the best weights back, the last checkpoint, 'done' */
  const complete = async () => {
    if (lastEval !== step) await runEval();
    if (config.loadBestModelAtEnd && tracker?.best && tracker.best.step !== step) tracker.restore();
    if (config.checkpointEverySteps > 0 && lastSave !== step) await saveCheckpoint();
    Object.assign(result, { best: tracker?.best, earlyStopped: patienceOut || undefined });
    emit({
      type: 'done',
      step,
      loss: result.losses.at(-1),
      elapsedMs: performance.now() - start,
      best: tracker?.best,
      earlyStopped: patienceOut || undefined,
    });
    return finish();
  };
  const finish = (stopped?: StopReason) => {
    tracker?.dispose();
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
  // Where the optimizer allows it (WebGpuAdamW: the weights are queued when update() returns, a refused step
  // latches), step n+1 is built while step n's loss and norm are still being read back, so the GPU does not
  // wait for that round trip. Steps that end in an evaluation, a checkpoint or the run are read at once.
  let inflight: InFlight | undefined;
  const atBoundary = (n: number) =>
    n === totalSteps ||
    (config.evalEverySteps > 0 && n % config.evalEverySteps === 0) ||
    (config.checkpointEverySteps > 0 && n % config.checkpointEverySteps === 0);

  /** Reads one submitted step back and does what follows it; a TrainResult when the run stops there. */
  const settle = async (s: InFlight, later?: InFlight): Promise<TrainResult | undefined> => {
    const { loss: lossValue, norm: gradNorm, applied } = await s.result;
    if (!applied) {
      await later?.result; // refused too (the guard is latched); its read restores the optimizer's count
      cursor.setState(s.prevPos); // the failed batch was not consumed
      const what = Number.isFinite(lossValue) ? `gradient norm is ${gradNorm}` : `loss is ${lossValue}`;
      emit({
        type: 'stopped',
        step,
        reason: 'nan',
        message: `${what} at step ${step + 1}; stopped before the update, weights are those after step ${step}`,
      });
      return finish('nan');
    }
    step += 1;
    result.losses.push(lossValue);
    logExamples += s.examples;
    if (step % config.logEverySteps === 0 || step === totalSteps) {
      const now = performance.now();
      emit({
        type: 'step',
        step,
        totalSteps,
        epoch: s.epoch,
        loss: lossValue,
        lr: s.lr,
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
    // evaluations are boundaries: nothing is in flight when patience runs out
    return patienceOut ? complete() : undefined;
  };
  const drain = async () => {
    const s = inflight;
    inflight = undefined;
    return s && settle(s);
  };

  try {
    if (hooks.resume) {
      restoreCheckpoint(encoder, opt, cursor, hooks.resume, config, rows.length);
      step = result.step = hooks.resume.step;
      result.epoch = cursor.progress;
    }
    while (step + (inflight ? 1 : 0) < totalSteps) {
      await yieldToEvents();
      if (hooks.signal?.aborted) return (await drain()) ?? (await stopAborted());
      const index = step + (inflight ? 1 : 0);
      const prevPos = cursor.getState();
      const batch = cursor.next().map((i) => rows[i]!);
      const lr = config.lr * lrLambda(config.scheduler, index, schedule);
      let prepared: PreparedBatch | undefined;
      try {
        prepared = await encoder.prepareBatch?.(batch, hooks.signal);
      } catch (e) {
        if (!hooks.signal?.aborted) throw e;
        cursor.setState(prevPos); // an abort during the fetch: this batch was not trained on
        return (await drain()) ?? (await stopAborted());
      }
      let value: tf.Scalar;
      let named: tf.NamedTensorMap;
      try {
        const opts = { training: true, seed: stepSeed(config.seed, index), batch: prepared };
        ({ value, grads: named } = loss.valueAndGrads
          ? loss.valueAndGrads(encoder, batch, opts, varList)
          : tf.variableGrads(() => loss.compute(encoder, batch, opts), varList));
      } finally {
        prepared?.pixels?.dispose();
      }
      const grads = new Map(Object.entries(named).map(([vName, g]) => [paramName.get(vName) ?? vName, g]));
      let current: InFlight;
      try {
        // clipping, the update and the non-finite check in one call that reads loss and norm back once
        const pending = opt.update(grads, value, lr, config.maxGradNorm);
        pending.catch(() => {}); // awaited below or by the next step; a failure is rethrown there
        if (!opt.pipelined) await pending;
        current = { result: pending, prevPos, examples: batch.length, lr, epoch: cursor.progress };
      } finally {
        value.dispose();
        for (const g of grads.values()) g.dispose();
      }
      encoder.afterStep?.();
      const previous = inflight;
      inflight = undefined;
      if (previous) {
        const stopped = await settle(previous, current);
        if (stopped) return stopped;
      }
      if (opt.pipelined && !atBoundary(index + 1)) inflight = current;
      else {
        const stopped = await settle(current);
        if (stopped) return stopped;
      }
    }
    const stopped = await drain();
    return stopped ?? (await complete());
  } catch (e) {
    tracker?.dispose();
    opt.dispose();
    throw e;
  }
}
