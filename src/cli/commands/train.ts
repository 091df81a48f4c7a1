import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { parseTrainRows, validateRowsForLoss } from '../../training/data/trainRows.ts';
import { defaultTrainConfig, resolveTrainConfig, type TrainConfig } from '../../training/train/trainConfig.ts';
import { lossNames } from '../../training/losses/loss.ts';
import { schedulerNames } from '../../training/optim/schedule.ts';
import { train, type TrainEvent } from '../../training/train/trainLoop.ts';
import { exportSentenceModel } from '../../training/export/exportSentenceModel.ts';
import { folderCheckpointStore } from '../folderCheckpointStore.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { formatSeconds } from '../progress.ts';
import { evaluationFromFlags, evalOptions, type EvalFlags } from './evalSetup.ts';

interface TrainFlags extends EvalFlags {
  model: string; data: string; loss: string; output: string;
  epochs?: string; steps?: string; batchSize?: string; lr?: string; weightDecay?: string; warmupSteps?: string;
  scheduler?: string; maxGradNorm?: string; scale?: string; seed?: string; shuffle: boolean; dropout?: string;
  logJson?: boolean; checkpointDir?: string; checkpointEvery?: string; resume?: boolean; evalEvery?: string;
}

function configFromFlags(o: TrainFlags): TrainConfig {
  const int = (v: string | undefined, flag: string, min = 0) => (v === undefined ? undefined : parseNumber(v, flag, { integer: true, min }));
  const num = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseNumber(v, flag, { min: 0 }));
  if (!(lossNames as readonly string[]).includes(o.loss)) throw new CliError(`--loss must be ${lossNames.join(' or ')}, got "${o.loss}"`);
  if (o.scheduler && !(schedulerNames as readonly string[]).includes(o.scheduler)) {
    throw new CliError(`--scheduler must be one of ${schedulerNames.join(', ')}, got "${o.scheduler}"`);
  }
  if (o.epochs !== undefined && o.steps !== undefined) throw new CliError('give --epochs or --steps, not both');
  return resolveTrainConfig({
    loss: o.loss as TrainConfig['loss'],
    epochs: int(o.epochs, '--epochs', 1),
    steps: int(o.steps, '--steps', 1),
    batchSize: int(o.batchSize, '--batch-size', 1),
    lr: num(o.lr, '--lr'),
    weightDecay: num(o.weightDecay, '--weight-decay'),
    warmupSteps: int(o.warmupSteps, '--warmup-steps'),
    scheduler: o.scheduler as TrainConfig['scheduler'] | undefined,
    maxGradNorm: num(o.maxGradNorm, '--max-grad-norm'),
    scale: num(o.scale, '--scale'),
    seed: int(o.seed, '--seed'),
    shuffle: o.shuffle,
    dropout: num(o.dropout, '--dropout'),
    checkpointEverySteps: int(o.checkpointEvery, '--checkpoint-every', 1),
    evalEverySteps: int(o.evalEvery, '--eval-every', 1),
  });
}

function logEvent(e: TrainEvent, json: boolean) {
  if (json) return process.stdout.write(`${JSON.stringify(e)}\n`);
  if (e.type === 'step') {
    process.stdout.write(`step ${e.step}/${e.totalSteps} epoch ${e.epoch.toFixed(2)} loss ${e.loss.toFixed(6)} lr ${e.lr.toExponential(3)} grad_norm ${e.gradNorm.toFixed(4)} ${e.examplesPerSec.toFixed(1)} ex/s ETA ${formatSeconds(e.etaSeconds)}\n`);
  } else if (e.type === 'eval') {
    process.stdout.write(`eval step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}\n`);
  } else {
    process.stdout.write(`${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'step' in e ? ` at step ${e.step}` : ''}\n`);
  }
}

export function trainCommand(program: Command) {
  const cmd = program
    .command('train')
    .description('fine-tune a sentence-transformers model and write the export folder')
    .requiredOption('--model <dir|hub id>', 'base model')
    .requiredOption('--data <file.jsonl>', 'rows {"query","positive"[,"negative"][,"margin"]}')
    .requiredOption('--loss <name>', 'mnrl | margin-mse')
    .requiredOption('--output <dir>', 'export folder')
    .option('--epochs <n>', `epochs (default ${defaultTrainConfig.epochs})`)
    .option('--steps <n>', 'optimizer steps (instead of --epochs)')
    .option('--batch-size <n>', `rows per step (default ${defaultTrainConfig.batchSize})`)
    .option('--lr <x>', `peak learning rate (default ${defaultTrainConfig.lr})`)
    .option('--weight-decay <x>', `AdamW decoupled weight decay (default ${defaultTrainConfig.weightDecay})`)
    .option('--warmup-steps <n>', `linear warmup steps (default ${defaultTrainConfig.warmupSteps})`)
    .option('--scheduler <name>', `${schedulerNames.join(' | ')} (default ${defaultTrainConfig.scheduler})`)
    .option('--max-grad-norm <x>', `gradient clipping norm, 0 = off (default ${defaultTrainConfig.maxGradNorm})`)
    .option('--scale <x>', `MNRL similarity scale (default ${defaultTrainConfig.scale})`)
    .option('--seed <n>', `shuffling and dropout seed (default ${defaultTrainConfig.seed})`)
    .option('--no-shuffle', 'batch rows in file order')
    .option('--dropout <p>', 'override the dropout probabilities in config.json')
    .option('--log-json', 'one JSON event per line on stdout')
    .option('--checkpoint-dir <dir>', 'save checkpoints here')
    .option('--checkpoint-every <n>', 'steps between checkpoints')
    .option('--resume', 'continue from the latest checkpoint in --checkpoint-dir')
    .option('--eval-every <n>', 'steps between evaluations (needs --eval-corpus and --eval-judgments)');
  evalOptions(cmd).action(async (o: TrainFlags) => {
    const config = configFromFlags(o);
    const rows = parseTrainRows(await readTextFile(o.data), o.data);
    validateRowsForLoss(rows, config.loss, o.data);
    const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { dropout: config.dropout, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
    try {
      const evaluation = await evaluationFromFlags(o);
      const before = evaluation ? (await evaluation.evaluate(encoder)).metrics : undefined;
      if (before) logEvent({ type: 'eval', step: 0, epoch: 0, metrics: before }, !!o.logJson);
      if (o.resume && !o.checkpointDir) throw new CliError('--resume needs --checkpoint-dir');
      const store = o.checkpointDir ? folderCheckpointStore(o.checkpointDir) : undefined;
      const resume = o.resume && store ? await store.loadLatest() : undefined;
      if (o.resume && !resume) process.stderr.write(`no checkpoint in ${o.checkpointDir}; starting from step 0\n`);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const result = await train(encoder, rows, config, {
        signal: ac.signal,
        store,
        resume,
        onEvent: (e) => logEvent(e, !!o.logJson),
        evaluate: evaluation ? async () => (await evaluation.evaluate(encoder)).metrics : undefined,
      });
      if (result.stopped === 'nan') throw new CliError(`training stopped at step ${result.step}: the loss became NaN/inf; the last good weights were kept and nothing was exported (lower --lr?)`);
      if (result.stopped === 'aborted') throw new CliError(`training interrupted at step ${result.step}${store ? `; continue with --resume --checkpoint-dir ${o.checkpointDir}` : ''}`);
      // the loop evaluates once more after the last step when an evaluator is given
      const after = result.evals.at(-1)?.metrics;
      const files = exportSentenceModel(encoder, {
        baseModel: o.model,
        data: { name: o.data, rows: rows.length },
        loss: config.loss === 'mnrl' ? 'MultipleNegativesRankingLoss' : 'MarginMSELoss',
        hyperparameters: { ...config, steps: result.step } as unknown as Record<string, string | number | boolean>,
        metricsBefore: before,
        metricsAfter: after,
      });
      await writeModelFiles(o.output, files);
      process.stderr.write(`exported to ${o.output}\n`);
    } finally {
      encoder.dispose();
    }
  });
}
