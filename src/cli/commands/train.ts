/**
 * `ftlab train`: one path for every model family. The loss decides the row format, config.json's model_type
 * picks the family (families/registry.ts), and the family makes the loaded encoder trainable, names the loss
 * on the model card and writes the export folder; the loop, checkpoints and evaluation hooks are shared.
 */
import type { Command } from 'commander';
import { familyOf, modelTypeOf } from '../../training/families/registry.ts';
import type { FamilyEncoder, ModelFamily, TrainContext } from '../../training/families/family.ts';
import type { ModelSource } from '../../training/source/modelSource.ts';
import { parseTrainRows } from '../../training/data/trainRows.ts';
import { checkClipRowImages, parseClipRows } from '../../training/data/clipRows.ts';
import { validateRowsForLoss } from '../../training/losses/registry.ts';
import type { ImageEncoderLike } from '../../training/eval/imageRetrievalEvaluator.ts';
import { folderCheckpointStore } from '../folderCheckpointStore.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';
import { configFromFlags, logTrainEvent, runTraining, trainOptions, type TrainHyperFlags } from '../pipeline/trainOptions.ts';
import { imageEvaluation, openImageFolder } from '../pipeline/clipInputs.ts';
import { evaluationFromFlags, evalOptions, type EvalFlags } from './evalSetup.ts';
import { familyForwardEncoder } from '../../training/inference/forwardEncoder.ts';

interface TrainFlags extends EvalFlags, TrainHyperFlags {
  model: string;
  data: string;
  loss: string;
  output: string;
  checkpointDir?: string;
  resume?: boolean;
  images?: string;
}

type Metrics = Record<string, number>;

/** The parsed rows, and what the loop needs besides them once the model (and its image preprocessing) is loaded. */
interface TrainData {
  rows: readonly unknown[];
  context(encoder: FamilyEncoder): Promise<TrainContext>;
}

export function trainCommand(program: Command) {
  const cmd = trainOptions(
    program
      .command('train')
      .description('fine-tune a sentence-transformers model (or a CLIP model with --loss clip --images) and write the export folder')
      .requiredOption('--model <dir|hub id>', 'base model')
      .requiredOption('--data <file.jsonl>', 'rows {"query","positive"[,"negative"][,"margin"]}; clip: {"text","image"}')
      .requiredOption(
        '--loss <name>',
        'mnrl | cached-mnrl (GradCache: large batches in mini-batches) | margin-mse | clip (clip defaults: --lr 1e-5 --batch-size 8 --weight-decay 0.1, cosine, 10% warmup)',
      )
      .requiredOption('--output <dir>', 'export folder')
      .option('--images <dir>', 'clip: product images named <product id>.jpg/.png/.webp/.gif (also used by --eval-corpus)')
      .option('--lock-text', 'clip: freeze the text tower (open_clip --lock-text)')
      .option('--lock-image', 'clip: freeze the image tower (open_clip --lock-image)')
      .option('--unlocked-layers <n>', 'clip: keep the last n encoder layers (and the projection) of each locked tower trainable'),
  )
    .option('--checkpoint-dir <dir>', 'save checkpoints here')
    .option('--checkpoint-every <n>', 'steps between checkpoints')
    .option('--resume', 'continue from the latest checkpoint in --checkpoint-dir')
    .option('--eval-every <n>', 'steps between evaluations (needs --eval-corpus and --eval-judgments)');
  evalOptions(cmd).action(trainModel);
}

async function trainModel(o: TrainFlags): Promise<void> {
  const images = imagesFlag(o);
  if (o.resume && !o.checkpointDir) throw new CliError('--resume needs --checkpoint-dir');
  if (!o.evalCorpus !== !o.evalJudgments) throw new CliError('evaluation needs both --eval-corpus and --eval-judgments');
  const config = configFromFlags(o, o.loss);
  // rows are checked before anything is downloaded
  const data = await readTrainData(o.data, config.loss, images);
  const source = await resolveModelSource(o.model);
  const family = await familyOf(source);
  if (!family.losses.includes(config.loss)) throw await wrongFamily(o, source, family);
  const encoder = await family.load(source, { dropout: config.dropout, onWarning: warn });
  try {
    const trainable = family.trainable(encoder, await data.context(encoder));
    const evaluate = await trainEvaluation(o, family, encoder, images);
    const before = evaluate ? await evaluate() : undefined;
    if (before) logTrainEvent({ type: 'eval', step: 0, epoch: 0, metrics: before }, !!o.logJson);
    const store = o.checkpointDir ? folderCheckpointStore(o.checkpointDir) : undefined;
    const resume = o.resume && store ? await store.loadLatest() : undefined;
    if (o.resume && !resume) process.stderr.write(`no checkpoint in ${o.checkpointDir}; starting from step 0\n`);
    const result = await runTraining(trainable, data.rows, config, {
      store,
      resume,
      logJson: o.logJson,
      resumeHint: store ? `continue with --resume --checkpoint-dir ${o.checkpointDir}` : undefined,
      evaluate,
    });
    const files = await family.exportFiles(encoder, {
      baseModel: o.model,
      data: { name: o.data, rows: data.rows.length },
      loss: family.lossDescription(config.loss),
      hyperparameters: { ...config, steps: result.step } as unknown as Record<string, string | number | boolean>,
      metricsBefore: before,
      // the loop evaluates once more after the last step when an evaluator is given; with --load-best the
      // weights are the best evaluation's, and so are the metrics
      metricsAfter: ((config.loadBestModelAtEnd && result.evals.find((e) => e.step === result.best?.step)) || result.evals.at(-1))?.metrics,
      ...(result.best && { bestModel: { ...result.best, kept: Boolean(config.loadBestModelAtEnd), earlyStopped: Boolean(result.earlyStopped) } }),
    });
    await writeModelFiles(o.output, files);
    process.stderr.write(`exported ${family.task === 'text-image' ? 'CLIP model ' : ''}to ${o.output}\n`);
  } finally {
    encoder.dispose();
  }
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

/** --images and --loss clip go together, both ways. */
function imagesFlag(o: TrainFlags): string | undefined {
  if (o.images && o.loss !== 'clip') throw new CliError(`--images is for CLIP training: use it with --loss clip (got --loss ${o.loss})`);
  if (o.loss === 'clip' && !o.images)
    throw new CliError('--loss clip needs --images <dir>, the folder of product images named <product id>.jpg/.png/.webp/.gif');
  return o.images;
}

/** Text rows for the text losses; with --images, CLIP rows whose images are checked once the model is loaded. */
async function readTrainData(file: string, loss: string, images?: string): Promise<TrainData> {
  const text = await readTextFile(file);
  if (!images) {
    const rows = parseTrainRows(text, file);
    validateRowsForLoss(rows, loss, file);
    return { rows, context: async () => ({}) };
  }
  const rows = parseClipRows(text, file);
  return {
    rows,
    async context(encoder) {
      if (!encoder.imageConfig) return {};
      const provider = await openImageFolder(images, encoder.imageConfig);
      checkClipRowImages(rows, (key) => provider.has(key), file, images);
      return { images: provider };
    },
  };
}

const encodesImages = (encoder: FamilyEncoder): encoder is FamilyEncoder & ImageEncoderLike => 'encodeImages' in encoder;

/** Metrics before, during and after training: text→image for models with an image tower, text→text otherwise. */
async function trainEvaluation(
  o: TrainFlags,
  family: ModelFamily,
  encoder: FamilyEncoder,
  images?: string,
): Promise<(() => Promise<Metrics>) | undefined> {
  if (!o.evalCorpus || !o.evalJudgments) return undefined;
  if (images && encoder.imageConfig && encodesImages(encoder)) {
    const evaluation = await imageEvaluation(
      { corpus: o.evalCorpus, judgments: o.evalJudgments, images, k: o.k, relevance: o.relevance },
      encoder.imageConfig,
    );
    return async () => (await evaluation.evaluate(encoder)).metrics;
  }
  const evaluation = await evaluationFromFlags(o);
  // each evaluation runs the weights as they are then (onnxruntime over a fresh graph)
  return (
    evaluation &&
    (async () => {
      const forward = familyForwardEncoder(family, encoder, { onWarning: warn });
      try {
        return (await evaluation.evaluate(forward)).metrics;
      } finally {
        await forward.release();
      }
    })
  );
}

/** The loss and the model disagree: say which kind of model the loss trains. */
async function wrongFamily(o: TrainFlags, source: ModelSource, family: ModelFamily): Promise<CliError> {
  if (family.task === 'text-image') {
    return new CliError(
      `${source.id}/config.json: ${source.id} is a CLIP model: use it with --images / --loss clip (it embeds texts and images, not sentences alone)`,
    );
  }
  return new CliError(
    `${o.model}: model_type is "${await modelTypeOf(source)}", not a CLIP model; --loss ${o.loss} needs a CLIP model (ftlab init --clip makes a small one)`,
  );
}
