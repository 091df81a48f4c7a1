import type { Command } from 'commander';
import { loadCorpus } from '../../training/data/corpus.ts';
import { parseJudgments } from '../../training/data/judgments.ts';
import { RetrievalEvaluator } from '../../training/eval/retrievalEvaluator.ts';
import { readInputFile, readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { progressReporter } from '../progress.ts';

export interface EvalFlags {
  corpus?: string; judgments?: string; k?: string; textTemplate?: string; relevance?: string; evalCorpus?: string; evalJudgments?: string;
}

export const defaultTextTemplate = '{title} {supplier}';

/** Options shared by `eval` (required) and `train` (optional before/after evaluation). */
export function evalOptions(cmd: Command, prefix = 'eval-'): Command {
  return cmd
    .option(`--${prefix}corpus <file>`, 'products: Chorus JSON array, .json.zip or .jsonl (train: evaluate before/after)')
    .option(`--${prefix}judgments <file.csv>`, 'judgments query,docid,rating')
    .option('--k <n>', 'cut-off for nDCG and MRR', '10')
    .option('--text-template <t>', 'product text', defaultTextTemplate)
    .option('--relevance <n>', 'rating at or above which a product is relevant', '2');
}

export async function evaluationFromFlags(o: EvalFlags): Promise<RetrievalEvaluator | undefined> {
  const corpusFile = o.corpus ?? o.evalCorpus;
  const judgmentsFile = o.judgments ?? o.evalJudgments;
  if (!corpusFile && !judgmentsFile) return undefined;
  if (!corpusFile || !judgmentsFile) throw new CliError('evaluation needs both a corpus and a judgments file');
  const corpus = loadCorpus(corpusFile, await readInputFile(corpusFile), { template: o.textTemplate ?? defaultTextTemplate });
  for (const w of corpus.warnings) process.stderr.write(`warning: ${w}\n`);
  const judgments = parseJudgments(await readTextFile(judgmentsFile), judgmentsFile);
  for (const w of judgments.warnings) process.stderr.write(`warning: ${w}\n`);
  return new RetrievalEvaluator({ ids: corpus.ids, texts: corpus.texts }, judgments.judgments, {
    k: parseNumber(o.k ?? '10', '--k', { integer: true, min: 1 }),
    relevanceThreshold: parseNumber(o.relevance ?? '2', '--relevance'),
    onProgress: progressReporter('eval embed'),
  });
}
