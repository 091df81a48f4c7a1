import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { parseTrainRows } from '../../training/data/trainRows.ts';
import { formatTrainRows } from '../../training/data/rowsFile.ts';
import { parseJudgments, relevantRowsByQuery } from '../../training/data/judgments.ts';
import { mineHardNegatives, type HardNegativeOptions, type MiningScorers, type NegativeSource } from '../../training/data/hardNegatives.ts';
import { Bm25Index } from '../../training/eval/bm25.ts';
import { normalizeRows, unit } from '../../training/eval/topk.ts';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { resolveModelSource } from '../folderSource.ts';
import { usingForward } from '../forward.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { progressReporter } from '../progress.ts';
import { defaultTextTemplate, readCorpusTexts } from './evalSetup.ts';

interface MineFlags {
  data: string;
  corpus: string[];
  output: string;
  model?: string;
  source: string;
  textTemplate: string;
  judgments?: string;
  relevance: string;
  numNegatives?: string;
  rangeMin?: string;
  rangeMax?: string;
  maxScore?: string;
  minScore?: string;
  absoluteMargin?: string;
  relativeMargin?: string;
  sampling: string;
  seed?: string;
  crossEncoder?: string;
  stats?: string;
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

function miningOptions(o: MineFlags): HardNegativeOptions {
  const int = (v: string | undefined, flag: string, min: number) => (v === undefined ? undefined : parseNumber(v, flag, { integer: true, min }));
  const num = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseNumber(v, flag));
  if (!['dense', 'bm25', 'both'].includes(o.source)) throw new CliError(`--source must be dense, bm25 or both, got "${o.source}"`);
  if (o.sampling !== 'top' && o.sampling !== 'random') throw new CliError(`--sampling must be top or random, got "${o.sampling}"`);
  if (o.source !== 'bm25' && !o.model) throw new CliError(`--source ${o.source} mines with a bi-encoder: give --model (or --source bm25)`);
  const opts: HardNegativeOptions = {
    source: o.source as NegativeSource,
    numNegatives: int(o.numNegatives, '--num-negatives', 1),
    rangeMin: int(o.rangeMin, '--range-min', 0),
    rangeMax: int(o.rangeMax, '--range-max', 1),
    maxScore: num(o.maxScore, '--max-score'),
    minScore: num(o.minScore, '--min-score'),
    absoluteMargin: num(o.absoluteMargin, '--absolute-margin'),
    relativeMargin: num(o.relativeMargin, '--relative-margin'),
    sampling: o.sampling,
    seed: int(o.seed, '--seed', 0),
  };
  if ((opts.rangeMax ?? 100) <= (opts.rangeMin ?? 0))
    throw new CliError(`--range-max (${opts.rangeMax ?? 100}) must be above --range-min (${opts.rangeMin ?? 0})`);
  for (const k of ['absoluteMargin', 'relativeMargin'] as const)
    if (opts[k] !== undefined && opts[k]! < 0)
      throw new CliError(`--${k === 'absoluteMargin' ? 'absolute' : 'relative'}-margin must be ≥ 0, got ${opts[k]}`);
  return opts;
}

export function mineCommand(program: Command) {
  program
    .command('mine')
    .description(
      "hard negatives for (query, positive) rows, as sentence-transformers' mine_hard_negatives: from the bi-encoder, BM25 or both, filtered against the positive's score, optionally rescored by a cross-encoder",
    )
    .requiredOption('--data <file.jsonl>', 'rows {"query","positive"} (other fields are ignored)')
    .requiredOption('--corpus <files...>', 'products to mine from (Chorus JSON, .json.zip or .jsonl)')
    .requiredOption('--output <file.jsonl>', 'rows {"query","positive","negative"}, one per negative')
    .option('--model <dir|hub id>', 'the bi-encoder (sources dense and both)')
    .option('--source <s>', 'dense | bm25 | both', 'dense')
    .option('--text-template <t>', 'product text', defaultTextTemplate)
    .option('--judgments <file.csv>', 'products judged relevant for a query are never its negatives')
    .option('--relevance <n>', 'rating at or above which a judged product is relevant', '2')
    .option('--num-negatives <n>', 'negatives per row (default 3)')
    .option('--range-min <n>', 'skip this many top candidates (default 0)')
    .option('--range-max <n>', 'consider this many candidates (default 100)')
    .option('--max-score <x>', 'drop candidates scoring above x')
    .option('--min-score <x>', 'drop candidates scoring below x')
    .option('--absolute-margin <x>', "drop candidates scoring above the positive's score − x")
    .option('--relative-margin <x>', "drop candidates scoring above the positive's score × (1 − x)")
    .option('--sampling <s>', 'top | random', 'top')
    .option('--seed <n>', 'random sampling seed (default 42)')
    .option('--cross-encoder <dir|hub id>', 'rescore the candidates (and the positive) with this cross-encoder; the filters use its scores')
    .option('--stats <file.json>', 'write the statistics and example queries (kept and filtered candidates with scores)')
    .action(async (o: MineFlags) => {
      const opts = miningOptions(o);
      const rows = parseTrainRows(await readTextFile(o.data), o.data);
      const corpus = await readCorpusTexts(o.corpus, o.textTemplate);
      let relevantFor: ((q: string) => Set<number>) | undefined;
      if (o.judgments) {
        const parsed = parseJudgments(await readTextFile(o.judgments), o.judgments);
        parsed.warnings.forEach(warn);
        const rowOf = new Map(corpus.ids.map((id, r) => [id, r]));
        relevantFor = relevantRowsByQuery(parsed.judgments, rowOf, parseNumber(o.relevance, '--relevance'));
      }
      const scorers: MiningScorers = { ...(opts.source !== 'dense' && { bm25: new Bm25Index(corpus.texts) }) };
      const run = async () => {
        const mined = await mineHardNegatives(rows, corpus.texts, scorers, { ...opts, examples: 10 }, (i) => relevantFor?.(rows[i]!.query));
        await writeFile(o.output, formatTrainRows(mined.rows));
        if (o.stats) await writeFile(o.stats, `${JSON.stringify({ stats: mined.stats, examples: mined.examples }, null, 1)}\n`);
        const s = mined.stats;
        process.stderr.write(
          `mine: ${s.negatives} negatives for ${s.queries} rows (${s.queriesWithoutNegatives} without any) from ${s.candidates} candidates: ${s.excluded} excluded, ${s.outOfRange} out of range, filtered ${JSON.stringify(s.filtered)}; scored by ${s.scoredBy} -> ${o.output}\n`,
        );
      };
      if (o.crossEncoder) {
        const { loadCrossEncoder } = await import('../../training/models/crossEncoder.ts');
        const ce = await loadCrossEncoder(await resolveModelSource(o.crossEncoder), { onWarning: warn });
        scorers.crossEncoder = (pairs) => ce.score(pairs);
      }
      if (!o.model) return run();
      const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: warn });
      try {
        await usingForward(encoder, async (forward) => {
          const embed = async (texts: string[], what: string) =>
            (await forward.encode(texts, { batchSize: 32, onProgress: progressReporter(`mine: embed ${what}`) })).map(unit);
          scorers.dense = {
            corpus: normalizeRows(await embed([...corpus.texts], 'corpus')),
            queries: await embed(
              rows.map((r) => r.query),
              'queries',
            ),
            positives: await embed(
              rows.map((r) => r.positive),
              'positives',
            ),
          };
          await run();
        });
      } finally {
        encoder.dispose();
      }
    });
}
