import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { resolveModelSource } from '../folderSource.ts';
import { CliError } from '../cliError.ts';
import { evaluationFromFlags, evalOptions, type EvalFlags } from './evalSetup.ts';

export function evalCommand(program: Command) {
  const cmd = program
    .command('eval')
    .description('retrieval metrics (nDCG@k, MRR@k, Recall@10/100, MAP@100) of a model on a corpus with judgments')
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .option('--json', 'print {"metrics", "queries"} as JSON');
  evalOptions(cmd, '').action(async (o: EvalFlags & { model: string; json?: boolean }) => {
    if (!o.corpus || !o.judgments) throw new CliError('eval needs --corpus <file> and --judgments <file.csv>');
    const evaluator = (await evaluationFromFlags(o))!;
    const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
    try {
      const { metrics, queries } = await evaluator.evaluate(encoder);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ metrics, queries }, null, 1)}\n`);
        return;
      }
      for (const [name, value] of Object.entries(metrics)) process.stdout.write(`${name.padEnd(12)} ${value.toFixed(4)}\n`);
      process.stdout.write(`(${queries.length} queries with at least one relevant product)\n`);
    } finally {
      encoder.dispose();
    }
  });
}
