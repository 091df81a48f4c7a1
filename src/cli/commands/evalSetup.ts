import type { Command } from 'commander';
import { corpusTexts, loadCorpusFiles } from '../../training/data/corpus.ts';
import { parseJudgments } from '../../training/data/judgments.ts';
import { readInputFile, readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { cliEvaluation, type CliEvaluation } from '../pipeline/evaluation.ts';

export interface EvalFlags {
  corpus?: string[];
  judgments?: string;
  k?: string;
  textTemplate?: string;
  relevance?: string;
  evalCorpus?: string[];
  evalJudgments?: string;
}

export const defaultTextTemplate = '{title} {supplier}';

/** Options shared by `eval` (required) and `train` (optional before/after evaluation). */
export function evalOptions(cmd: Command, prefix = 'eval-'): Command {
  return cmd
    .option(
      `--${prefix}corpus <files...>`,
      'products: Chorus JSON arrays, .json.zip or .jsonl; several files are merged (train: evaluate before/after)',
    )
    .option(`--${prefix}judgments <file.csv>`, 'judgments query,docid,rating')
    .option('--k <n>', 'cut-off for nDCG and MRR', '10')
    .option('--text-template <t>', 'product text', defaultTextTemplate)
    .option('--relevance <n>', 'rating at or above which a product is relevant', '2');
}

export type { CliEvaluation };

/** Reads corpus files into ids and texts, printing their warnings (empty texts, duplicate ids). */
export async function readCorpusTexts(files: string[], template: string) {
  const corpus = loadCorpusFiles(await Promise.all(files.map(async (name) => ({ name, bytes: await readInputFile(name) }))));
  const texts = corpusTexts(corpus.products, template);
  for (const w of [...corpus.warnings, ...texts.warnings]) process.stderr.write(`warning: ${w}\n`);
  return texts;
}

/** The evaluation corpus (ids, texts), judgments and metric options the flags name; undefined when they name none. */
export async function evaluationInputs(o: EvalFlags) {
  const corpusFile = o.corpus ?? o.evalCorpus;
  const judgmentsFile = o.judgments ?? o.evalJudgments;
  if (!corpusFile && !judgmentsFile) return undefined;
  if (!corpusFile || !judgmentsFile) throw new CliError('evaluation needs both a corpus and a judgments file');
  const corpus = await readCorpusTexts(corpusFile, o.textTemplate ?? defaultTextTemplate);
  const judgments = parseJudgments(await readTextFile(judgmentsFile), judgmentsFile);
  for (const w of judgments.warnings) process.stderr.write(`warning: ${w}\n`);
  const metrics = {
    k: parseNumber(o.k ?? '10', '--k', { integer: true, min: 1 }),
    relevanceThreshold: parseNumber(o.relevance ?? '2', '--relevance'),
  };
  return { corpus: { ids: corpus.ids, texts: corpus.texts }, judgments: judgments.judgments, metrics };
}

export async function evaluationFromFlags(o: EvalFlags): Promise<CliEvaluation | undefined> {
  const inputs = await evaluationInputs(o);
  return inputs && cliEvaluation(inputs.corpus, inputs.judgments, inputs.metrics);
}
