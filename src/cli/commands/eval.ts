import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { usingForward } from '../forward.ts';
import type { EvaluationResult } from '../../training/eval/evaluator.ts';
import { resolveModelSource } from '../folderSource.ts';
import { CliError } from '../cliError.ts';
import { evaluationFromFlags, evalOptions, type EvalFlags } from './evalSetup.ts';
import { imageEvaluation, loadClipModel } from '../pipeline/clipInputs.ts';

interface EvalCommandFlags extends EvalFlags {
  model: string;
  json?: boolean;
  images?: string;
  batchSize?: string;
}

/** Text→image retrieval of a CLIP model: the queries through the text tower against the products' images. */
async function evaluateClip(o: EvalCommandFlags & { images: string }): Promise<EvaluationResult> {
  const encoder = await loadClipModel(o.model);
  try {
    const evaluation = await imageEvaluation(
      { corpus: o.corpus!, judgments: o.judgments!, images: o.images, k: o.k, relevance: o.relevance, batchSize: o.batchSize },
      encoder.imageConfig,
    );
    return await evaluation.evaluate(encoder);
  } finally {
    encoder.dispose();
  }
}

async function evaluateText(o: EvalCommandFlags): Promise<EvaluationResult> {
  const evaluator = (await evaluationFromFlags(o))!;
  const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  try {
    return await usingForward(encoder, (forward) => evaluator.evaluate(forward));
  } finally {
    encoder.dispose();
  }
}

export function evalCommand(program: Command) {
  const cmd = program
    .command('eval')
    .description(
      'retrieval metrics (nDCG@k, MRR@k, Recall@10/100, MAP@100) of a model on a corpus with judgments; with --images, text→image retrieval of a CLIP model',
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .option('--images <dir>', "CLIP: rank the products' images (named <product id>.jpg/.png/.webp/.gif) instead of their texts")
    .option('--batch-size <n>', 'CLIP: images per forward pass (default 32)')
    .option('--json', 'print {"metrics", "queries"} as JSON');
  evalOptions(cmd, '').action(async (o: EvalCommandFlags) => {
    if (!o.corpus || !o.judgments) throw new CliError('eval needs --corpus <file> and --judgments <file.csv>');
    const { metrics, queries } = o.images ? await evaluateClip({ ...o, images: o.images }) : await evaluateText(o);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ metrics, queries }, null, 1)}\n`);
      return;
    }
    for (const [name, value] of Object.entries(metrics)) process.stdout.write(`${name.padEnd(12)} ${value.toFixed(4)}\n`);
    process.stdout.write(`(${queries.length} queries with at least one relevant product)\n`);
  });
}
