/**
 * Training flags, config and event logging shared by `ftlab train` and `ftlab gpl`, so both accept the same
 * hyperparameters with the same defaults and messages.
 */
import type { Command } from 'commander';
import { clipTrainDefaults, defaultTrainConfig, resolveTrainConfig, type TrainConfig } from '../../training/train/trainConfig.ts';
import { lossNames } from '../../training/losses/registry.ts';
import { schedulerNames } from '../../training/optim/schedule.ts';
import { train } from '../../training/train/trainLoop.ts';
import type { TrainEvent, TrainHooks, TrainResult, TrainableEncoder } from '../../training/train/trainTypes.ts';
import type { TrainRow } from '../../training/data/trainRows.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { formatSeconds } from '../progress.ts';

export interface TrainHyperFlags {
  epochs?: string;
  steps?: string;
  batchSize?: string;
  lr?: string;
  weightDecay?: string;
  warmupSteps?: string;
  scheduler?: string;
  maxGradNorm?: string;
  scale?: string;
  miniBatchSize?: string;
  matryoshkaDims?: string;
  matryoshkaWeights?: string;
  seed?: string;
  shuffle: boolean;
  batchSampler?: string;
  dropout?: string;
  logJson?: boolean;
  checkpointEvery?: string;
  evalEvery?: string;
  loadBest?: boolean;
  metricForBest?: string;
  earlyStoppingPatience?: string;
  earlyStoppingThreshold?: string;
  lockText?: boolean;
  lockImage?: boolean;
  unlockedLayers?: string;
}

/** The hyperparameter options (everything but model, data, loss, output and checkpoint folders). */
export function trainOptions(cmd: Command): Command {
  return cmd
    .option('--epochs <n>', `epochs (default ${defaultTrainConfig.epochs})`)
    .option('--steps <n>', 'optimizer steps (instead of --epochs)')
    .option('--batch-size <n>', `rows per step (default ${defaultTrainConfig.batchSize})`)
    .option('--lr <x>', `peak learning rate (default ${defaultTrainConfig.lr})`)
    .option('--weight-decay <x>', `AdamW decoupled weight decay (default ${defaultTrainConfig.weightDecay})`)
    .option('--warmup-steps <n>', `linear warmup steps (default ${defaultTrainConfig.warmupSteps})`)
    .option('--scheduler <name>', `${schedulerNames.join(' | ')} (default ${defaultTrainConfig.scheduler})`)
    .option('--max-grad-norm <x>', `gradient clipping norm, 0 = off (default ${defaultTrainConfig.maxGradNorm})`)
    .option('--scale <x>', `MNRL similarity scale (default ${defaultTrainConfig.scale})`)
    .option(
      '--mini-batch-size <n>',
      'cached-mnrl (default 32) and clip: rows per forward pass (GradCache): the batch size is then bounded by time, not memory',
    )
    .option('--matryoshka-dims <list>', 'MatryoshkaLoss around mnrl, cached-mnrl or margin-mse: embedding prefix sizes, e.g. 384,256,128,64')
    .option('--matryoshka-weights <list>', 'one weight per --matryoshka-dims size (default all 1)')
    .option('--seed <n>', `shuffling and dropout seed (default ${defaultTrainConfig.seed})`)
    .option('--no-shuffle', 'batch rows in file order')
    .option('--batch-sampler <s>', 'batch | no-duplicates (no text twice in a batch, sentence-transformers BatchSamplers.NO_DUPLICATES)')
    .option('--dropout <p>', 'override the dropout probabilities in config.json')
    .option('--log-json', 'one JSON event per line on stdout')
    .option('--load-best', 'end with the weights of the best --eval-every evaluation (HF load_best_model_at_end); evaluate on a validation split')
    .option('--metric-for-best <name>', 'the metric that decides the best evaluation (default ndcg@10)')
    .option('--early-stopping-patience <n>', 'stop after n evaluations without improvement')
    .option('--early-stopping-threshold <x>', 'an improvement must exceed x to reset the patience (default 0)');
}

export function configFromFlags(o: TrainHyperFlags, loss: string): TrainConfig {
  const int = (v: string | undefined, flag: string, min = 0) => (v === undefined ? undefined : parseNumber(v, flag, { integer: true, min }));
  const num = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseNumber(v, flag, { min: 0 }));
  const list = (v: string | undefined, flag: string, integer: boolean) =>
    v === undefined ? undefined : v.split(',').map((x) => parseNumber(x.trim(), flag, { integer, min: integer ? 1 : 0 }));
  if (!(lossNames as readonly string[]).includes(loss))
    throw new CliError(`--loss must be mnrl, cached-mnrl or margin-mse (sentence models) or clip (CLIP models, with --images), got "${loss}"`);
  if (o.miniBatchSize !== undefined && loss !== 'cached-mnrl' && loss !== 'clip')
    throw new CliError('--mini-batch-size applies to --loss cached-mnrl or clip only');
  const clip = loss === 'clip';
  if (!clip && (o.lockText || o.lockImage || o.unlockedLayers !== undefined))
    throw new CliError('--lock-text, --lock-image and --unlocked-layers apply to --loss clip only');
  if (o.unlockedLayers !== undefined && !o.lockText && !o.lockImage) throw new CliError('--unlocked-layers needs --lock-text or --lock-image');
  if (clip && o.dropout !== undefined) throw new CliError('--dropout: CLIP models are trained without dropout (their config has none)');
  if (clip && o.scale !== undefined) throw new CliError('--scale: the clip loss learns its own scale (logit_scale); --scale is for mnrl');
  const unlocked = int(o.unlockedLayers, '--unlocked-layers');
  if (o.scheduler && !(schedulerNames as readonly string[]).includes(o.scheduler)) {
    throw new CliError(`--scheduler must be one of ${schedulerNames.join(', ')}, got "${o.scheduler}"`);
  }
  if (o.epochs !== undefined && o.steps !== undefined) throw new CliError('give --epochs or --steps, not both');
  if (o.batchSampler !== undefined && o.batchSampler !== 'batch' && o.batchSampler !== 'no-duplicates')
    throw new CliError(`--batch-sampler must be batch or no-duplicates, got "${o.batchSampler}"`);
  if ((o.loadBest || o.earlyStoppingPatience !== undefined || o.metricForBest !== undefined) && o.evalEvery === undefined)
    throw new CliError(
      '--load-best, --early-stopping-patience and --metric-for-best need --eval-every (with --eval-corpus and --eval-judgments of a validation split)',
    );
  const flags: Partial<TrainConfig> = {
    epochs: int(o.epochs, '--epochs', 1),
    steps: int(o.steps, '--steps', 1),
    batchSize: int(o.batchSize, '--batch-size', 1),
    lr: num(o.lr, '--lr'),
    weightDecay: num(o.weightDecay, '--weight-decay'),
    warmupSteps: int(o.warmupSteps, '--warmup-steps'),
    scheduler: o.scheduler as TrainConfig['scheduler'] | undefined,
    maxGradNorm: num(o.maxGradNorm, '--max-grad-norm'),
    scale: num(o.scale, '--scale'),
    miniBatchSize: int(o.miniBatchSize, '--mini-batch-size', 1),
    matryoshkaDims: list(o.matryoshkaDims, '--matryoshka-dims', true),
    matryoshkaWeights: list(o.matryoshkaWeights, '--matryoshka-weights', false),
    seed: int(o.seed, '--seed'),
    shuffle: o.shuffle,
    noDuplicates: o.batchSampler === 'no-duplicates' || undefined,
    dropout: num(o.dropout, '--dropout'),
    checkpointEverySteps: int(o.checkpointEvery, '--checkpoint-every', 1),
    evalEverySteps: int(o.evalEvery, '--eval-every', 1),
    loadBestModelAtEnd: o.loadBest || undefined,
    metricForBestModel: o.metricForBest,
    earlyStoppingPatience: int(o.earlyStoppingPatience, '--early-stopping-patience', 1),
    earlyStoppingThreshold: num(o.earlyStoppingThreshold, '--early-stopping-threshold'),
    lockText: o.lockText || undefined,
    lockImage: o.lockImage || undefined,
    unlockedTextLayers: o.lockText ? unlocked : undefined,
    unlockedImageLayers: o.lockImage ? unlocked : undefined,
  };
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  // CLIP fine-tuning has its own defaults (clipTrainDefaults); flags given still win
  return resolveTrainConfig({ ...(clip ? clipTrainDefaults : {}), ...given, loss: loss as TrainConfig['loss'] });
}

export const formatMetrics = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(' ');

export function logTrainEvent(e: TrainEvent, json: boolean) {
  if (json) return process.stdout.write(`${JSON.stringify(e)}\n`);
  if (e.type === 'step') {
    process.stdout.write(
      `step ${e.step}/${e.totalSteps} epoch ${e.epoch.toFixed(2)} loss ${e.loss.toFixed(6)} lr ${e.lr.toExponential(3)} grad_norm ${e.gradNorm.toFixed(4)} ${e.examplesPerSec.toFixed(1)} ex/s ETA ${formatSeconds(e.etaSeconds)}\n`,
    );
  } else if (e.type === 'eval') {
    process.stdout.write(`eval step ${e.step}: ${formatMetrics(e.metrics)}\n`);
  } else {
    process.stdout.write(`${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'step' in e ? ` at step ${e.step}` : ''}\n`);
  }
}

/** Runs the loop with Ctrl-C handling; NaN and interruption become CliErrors (nothing is exported then). */
export async function runTraining<R = TrainRow>(
  encoder: TrainableEncoder<R>,
  rows: readonly R[],
  config: TrainConfig,
  hooks: Omit<TrainHooks, 'signal' | 'onEvent'> & { logJson?: boolean; resumeHint?: string },
): Promise<TrainResult> {
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    const { logJson, resumeHint, ...rest } = hooks;
    const result = await train(encoder, rows, config, { ...rest, signal: ac.signal, onEvent: (e) => logTrainEvent(e, !!logJson) });
    if (result.stopped === 'nan')
      throw new CliError(
        `training stopped at step ${result.step}: the loss became NaN/inf; the last good weights were kept and nothing was exported (lower --lr?)`,
      );
    if (result.stopped === 'aborted') throw new CliError(`training interrupted at step ${result.step}${resumeHint ? `; ${resumeHint}` : ''}`);
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
