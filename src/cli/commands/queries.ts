import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { corpusTexts, loadCorpusFiles, preview } from '../../training/data/corpus.ts';
import { dedupeQueries, formatQueriesJsonl, parseQueries, type Query } from '../../training/data/queries.ts';
import { generateOfflineQueriesReport } from '../../training/data/offlineQueries.ts';
import { defaultDoc2QueryModel, generateDoc2Query } from '../../training/data/doc2query.ts';
import { readInputFile, readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { progressReporter } from '../progress.ts';
import { defaultTextTemplate } from './evalSetup.ts';

interface QueriesFlags {
  corpus?: string[];
  source: string;
  input?: string;
  perProduct: string;
  seed: string;
  model: string;
  limit?: string;
  output: string;
  textTemplate: string;
  topK: string;
  topP: string;
  temperature: string;
  maxNewTokens: string;
  greedy?: boolean;
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

async function readProducts(files: string[] | undefined, limit: number | undefined) {
  if (!files?.length) throw new CliError('--corpus is required for --source offline and t5');
  const corpus = loadCorpusFiles(await Promise.all(files.map(async (name) => ({ name, bytes: await readInputFile(name) }))));
  corpus.warnings.forEach(warn);
  if (!corpus.products.length) throw new CliError(`the corpus (${files.join(', ')}) holds no products`);
  return limit !== undefined ? corpus.products.slice(0, limit) : corpus.products;
}

export function queriesCommand(program: Command) {
  program
    .command('queries')
    .description('make search queries for training: import a file, generate offline from product attributes, or with a T5 doc2query model')
    .requiredOption('--source <offline|import|t5>', 'offline: from product attributes, no model; import: read --input; t5: doc2query generation')
    .option('--corpus <files...>', 'products (Chorus .json.zip, .json, .jsonl, .csv); needed for offline and t5')
    .option('--input <file>', 'queries to import: .jsonl ({"text"[, "sourceDocId"]}), .csv (query[,count]) or plain text')
    .option('--per-product <n>', 'queries per product (offline, t5)', '3')
    .option('--seed <n>', 'seed of the offline generator', '42')
    .option('--model <id>', 'doc2query model (t5)', defaultDoc2QueryModel)
    .option('--limit <n>', 'use only the first n products (offline, t5) or queries (import)')
    .option('--text-template <t>', 'product text given to the T5 model', defaultTextTemplate)
    .option('--top-k <n>', 't5 sampling: top_k', '25')
    .option('--top-p <p>', 't5 sampling: top_p', '0.95')
    .option('--temperature <t>', 't5 sampling: temperature', '1')
    .option('--max-new-tokens <n>', 't5: longest query in tokens', '64')
    .option('--greedy', 't5: no sampling (do_sample false)')
    .requiredOption('--output <file.jsonl>', 'where to write {"text", "sourceDocId"?} rows')
    .action(async (o: QueriesFlags) => {
      const limit = o.limit !== undefined ? parseNumber(o.limit, '--limit', { integer: true, min: 1 }) : undefined;
      const perProduct = parseNumber(o.perProduct, '--per-product', { integer: true, min: 1 });
      let queries: Query[];
      if (o.source === 'import') {
        if (!o.input) throw new CliError('--source import needs --input <file>');
        const parsed = parseQueries(o.input, await readTextFile(o.input));
        parsed.warnings.forEach(warn);
        queries = limit !== undefined ? parsed.queries.slice(0, limit) : parsed.queries;
      } else if (o.source === 'offline') {
        const products = await readProducts(o.corpus, limit);
        const report = generateOfflineQueriesReport(products, { perProduct, seed: parseNumber(o.seed, '--seed', { integer: true }) });
        if (report.skippedIds.length)
          warn(
            `${report.skippedIds.length} of ${products.length} products have no usable type or title words and got no query: ${preview(report.skippedIds)}`,
          );
        queries = report.queries;
      } else if (o.source === 't5') {
        const products = await readProducts(o.corpus, limit);
        const texts = corpusTexts(products, o.textTemplate);
        texts.warnings.forEach(warn);
        const generated = await generateDoc2Query(
          texts.ids.map((id, i) => ({ id, text: texts.texts[i]! })),
          {
            modelId: o.model,
            perProduct,
            doSample: !o.greedy,
            topK: parseNumber(o.topK, '--top-k', { integer: true, min: 1 }),
            topP: parseNumber(o.topP, '--top-p', { min: 0 }),
            temperature: parseNumber(o.temperature, '--temperature', { min: 0 }),
            maxNewTokens: parseNumber(o.maxNewTokens, '--max-new-tokens', { integer: true, min: 1 }),
            onProgress: progressReporter('queries: t5'),
          },
        );
        queries = dedupeQueries(generated).queries;
      } else {
        throw new CliError(`--source must be offline, import or t5, got "${o.source}"`);
      }
      await writeFile(o.output, formatQueriesJsonl(queries));
      const sourced = queries.filter((q) => q.sourceDocId !== undefined).length;
      process.stderr.write(`queries: ${queries.length} (${sourced} with a source product) -> ${o.output}\n`);
    });
}
