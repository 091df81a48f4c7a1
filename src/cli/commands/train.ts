import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { parseTrainRows, validateRowsForLoss } from '../../training/data/trainRows.ts';
import { exportSentenceModel } from '../../training/export/exportSentenceModel.ts';
import { folderCheckpointStore } from '../folderCheckpointStore.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';
import { configFromFlags, logTrainEvent, runTraining, trainOptions, type TrainHyperFlags } from '../pipeline/trainOptions.ts';
import { evaluationFromFlags, evalOptions, type EvalFlags } from './evalSetup.ts';
import { trainClip } from '../pipeline/clipTrain.ts';

interface TrainFlags extends EvalFlags, TrainHyperFlags {
  model: string; data: string; loss: string; output: string;
  checkpointDir?: string; resume?: boolean; images?: string;
}

export function trainCommand(program: Command) {
  const cmd = trainOptions(program
    .command('train')
    .description('fine-tune a sentence-transformers model (or a CLIP model with --loss clip --images) and write the export folder')
    .requiredOption('--model <dir|hub id>', 'base model')
    .requiredOption('--data <file.jsonl>', 'rows {"query","positive"[,"negative"][,"margin"]}; clip: {"text","image"}')
    .requiredOption('--loss <name>', 'mnrl | margin-mse | clip (clip defaults: --lr 1e-5 --batch-size 8 --weight-decay 0.1, cosine, 10% warmup)')
    .requiredOption('--output <dir>', 'export folder')
    .option('--images <dir>', 'clip: product images named <product id>.jpg/.png/.webp/.gif (also used by --eval-corpus)')
    .option('--lock-text', 'clip: freeze the text tower (open_clip --lock-text)')
    .option('--lock-image', 'clip: freeze the image tower (open_clip --lock-image)')
    .option('--unlocked-layers <n>', 'clip: keep the last n encoder layers (and the projection) of each locked tower trainable'))
    .option('--checkpoint-dir <dir>', 'save checkpoints here')
    .option('--checkpoint-every <n>', 'steps between checkpoints')
    .option('--resume', 'continue from the latest checkpoint in --checkpoint-dir')
    .option('--eval-every <n>', 'steps between evaluations (needs --eval-corpus and --eval-judgments)');
  evalOptions(cmd).action(async (o: TrainFlags) => {
    if (o.loss === 'clip' || o.images) return trainClip(o);
    const config = configFromFlags(o, o.loss);
    const rows = parseTrainRows(await readTextFile(o.data), o.data);
    validateRowsForLoss(rows, config.loss, o.data);
    const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { dropout: config.dropout, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
    try {
      const evaluation = await evaluationFromFlags(o);
      const before = evaluation ? (await evaluation.evaluate(encoder)).metrics : undefined;
      if (before) logTrainEvent({ type: 'eval', step: 0, epoch: 0, metrics: before }, !!o.logJson);
      if (o.resume && !o.checkpointDir) throw new CliError('--resume needs --checkpoint-dir');
      const store = o.checkpointDir ? folderCheckpointStore(o.checkpointDir) : undefined;
      const resume = o.resume && store ? await store.loadLatest() : undefined;
      if (o.resume && !resume) process.stderr.write(`no checkpoint in ${o.checkpointDir}; starting from step 0\n`);
      const result = await runTraining(encoder, rows, config, {
        store,
        resume,
        logJson: o.logJson,
        resumeHint: store ? `continue with --resume --checkpoint-dir ${o.checkpointDir}` : undefined,
        evaluate: evaluation ? async () => (await evaluation.evaluate(encoder)).metrics : undefined,
      });
      // the loop evaluates once more after the last step when an evaluator is given
      const after = result.evals.at(-1)?.metrics;
      const files = await exportSentenceModel(encoder, {
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
