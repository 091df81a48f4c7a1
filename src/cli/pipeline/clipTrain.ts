/** `ftlab train --loss clip --images <dir>`: CLIP fine-tuning through the same loop, checkpoints and export flow as text. */
import { checkClipRowImages, parseClipRows } from '../../training/data/clipRows.ts';
import { exportClipModel } from '../../training/export/exportClipModel.ts';
import { clipTrainable } from '../../training/train/clipTrainable.ts';
import { folderCheckpointStore } from '../folderCheckpointStore.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';
import { configFromFlags, logTrainEvent, runTraining, type TrainHyperFlags } from './trainOptions.ts';
import { imageEvaluation, loadClipModel, openImageFolder } from './clipInputs.ts';

export interface ClipTrainFlags extends TrainHyperFlags {
  model: string; data: string; loss: string; output: string; images?: string;
  checkpointDir?: string; resume?: boolean;
  evalCorpus?: string[]; evalJudgments?: string; k?: string; relevance?: string;
}

export async function trainClip(o: ClipTrainFlags): Promise<void> {
  if (o.loss !== 'clip') throw new CliError(`--images is for CLIP training: use it with --loss clip (got --loss ${o.loss})`);
  if (!o.images) throw new CliError('--loss clip needs --images <dir>, the folder of product images named <product id>.jpg/.png/.webp/.gif');
  if (o.resume && !o.checkpointDir) throw new CliError('--resume needs --checkpoint-dir');
  if (!o.evalCorpus !== !o.evalJudgments) throw new CliError('evaluation needs both --eval-corpus and --eval-judgments');
  const config = configFromFlags(o, 'clip');
  const rows = parseClipRows(await readTextFile(o.data), o.data);
  const encoder = await loadClipModel(o.model, '--loss clip');
  try {
    const images = await openImageFolder(o.images, encoder.imageConfig);
    checkClipRowImages(rows, (key) => images.has(key), o.data, o.images);
    const evaluation = o.evalCorpus && o.evalJudgments
      ? await imageEvaluation({ corpus: o.evalCorpus, judgments: o.evalJudgments, images: o.images, k: o.k, relevance: o.relevance }, encoder.imageConfig)
      : undefined;
    const before = evaluation ? (await evaluation.evaluate(encoder)).metrics : undefined;
    if (before) logTrainEvent({ type: 'eval', step: 0, epoch: 0, metrics: before }, !!o.logJson);
    const store = o.checkpointDir ? folderCheckpointStore(o.checkpointDir) : undefined;
    const resume = o.resume && store ? await store.loadLatest() : undefined;
    if (o.resume && !resume) process.stderr.write(`no checkpoint in ${o.checkpointDir}; starting from step 0\n`);
    const result = await runTraining(clipTrainable(encoder, images), rows, config, {
      store,
      resume,
      logJson: o.logJson,
      resumeHint: store ? `continue with --resume --checkpoint-dir ${o.checkpointDir}` : undefined,
      evaluate: evaluation ? async () => (await evaluation.evaluate(encoder)).metrics : undefined,
    });
    const files = await exportClipModel(encoder, {
      baseModel: o.model,
      data: { name: o.data, rows: rows.length },
      loss: 'CLIP contrastive loss (symmetric InfoNCE, learned logit_scale)',
      hyperparameters: { ...config, steps: result.step } as unknown as Record<string, string | number | boolean>,
      metricsBefore: before,
      metricsAfter: result.evals.at(-1)?.metrics,
    });
    await writeModelFiles(o.output, files);
    process.stderr.write(`exported CLIP model to ${o.output}\n`);
  } finally {
    encoder.dispose();
  }
}
