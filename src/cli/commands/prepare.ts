import type { Command } from 'commander';
import { parseJudgments } from '../../training/data/judgments.ts';
import { formatTrainRows } from '../../training/data/rowsFile.ts';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { usingForward } from '../forward.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { defaultTextTemplate } from './evalSetup.ts';
import { loadCorpusInput } from '../pipeline/corpusInput.ts';
import { labelRows, mineQueries, obtainQueries, type QuerySourceFlags } from '../pipeline/gplSteps.ts';
import { prepareSupervised } from '../pipeline/supervisedStep.ts';
import { writeFileAtomic } from '../pipeline/workDir.ts';
import { prepareClipCommand } from '../pipeline/clipPrepare.ts';

export interface GplDataFlags extends QuerySourceFlags {
  model: string;
  corpus: string[];
  textTemplate: string;
  crossEncoder?: string;
  crossEncoderBackend?: string;
  k: string;
  rankFrom: string;
  rankTo?: string;
  negativesPerQuery: string;
  numRelations: string;
  seed?: string;
  encodeBatchSize: string;
  ceBatchSize: string;
  relevance: string;
}

/** Options of the queries → mine → label steps, shared by `prepare gpl` and `gpl`. */
export function gplDataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--corpus <files...>', 'products: Chorus JSON arrays, .json.zip, .jsonl or .csv; several files are merged')
    .option('--text-template <t>', 'product text', defaultTextTemplate)
    .option('--queries <file>', 'queries: JSONL {"text"[, "sourceDocId"]}, plain text or query-log CSV')
    .option('--generate <kind>', 'generate queries instead: offline (from product attributes, no model)')
    .option('--per-product <n>', 'generated queries per product', '3')
    .option('--cross-encoder <dir|hub id>', 'teacher for GPL margins; without it GenQ rows for mnrl are written')
    .option('--cross-encoder-backend <name>', 'tfjs (model.safetensors, default) | onnx (transformers.js on onnx/model.onnx)')
    .option('--k <n>', 'mining depth: candidates from the top k (after excluding the source product)', '50')
    .option('--rank-from <n>', 'first rank used as a candidate (skip the closest ones, often unlabelled positives)', '1')
    .option('--rank-to <n>', 'last rank used as a candidate (default k)')
    .option(
      '--negatives-per-query <n|all>',
      'GPL negatives per query, drawn at random from the candidates (GenQ: 0 = no hard negative, skips mining)',
      '5',
    )
    .option('--num-relations <n>', 'pairwise rows per query without a source product', '10')
    .option(
      '--relevance <n>',
      'with judgments: rating at or above which a judged product is relevant (never a negative; relevant in evaluation)',
      '2',
    )
    .option('--encode-batch-size <n>', 'bi-encoder batch size', '32')
    .option('--ce-batch-size <n>', 'cross-encoder batch size', '32');
}

export function gplDataSettings(o: GplDataFlags) {
  const int = (v: string, flag: string, min = 1) => parseNumber(v, flag, { integer: true, min });
  return {
    seed: o.seed === undefined ? 42 : int(o.seed, '--seed', 0),
    perProduct: int(o.perProduct ?? '3', '--per-product'),
    mine: {
      k: int(o.k, '--k'),
      rankFrom: int(o.rankFrom, '--rank-from'),
      rankTo: o.rankTo === undefined ? undefined : int(o.rankTo, '--rank-to'),
      relevance: parseNumber(o.relevance, '--relevance'),
      batchSize: int(o.encodeBatchSize, '--encode-batch-size'),
      // GenQ without hard negatives needs no candidates: skip embedding and search
      searchless: !o.crossEncoder && o.negativesPerQuery === '0',
    },
    label: {
      crossEncoder: o.crossEncoder,
      ceBackend: o.crossEncoderBackend,
      negativesPerQuery: o.negativesPerQuery === 'all' ? undefined : int(o.negativesPerQuery, '--negatives-per-query', 0),
      numRelations: int(o.numRelations, '--num-relations'),
      ceBatchSize: int(o.ceBatchSize, '--ce-batch-size'),
    },
  };
}

export function prepareCommand(program: Command) {
  const prepare = program.command('prepare').description('build training rows (JSONL for ftlab train) from a corpus and queries or judgments');

  gplDataOptions(
    prepare
      .command('gpl')
      .description(
        'GPL: mine candidates with the bi-encoder and label them with a cross-encoder (rows for --loss margin-mse; GenQ rows for mnrl without one)',
      )
      .requiredOption('--model <dir|hub id>', 'bi-encoder that mines candidates')
      .requiredOption('--output <file.jsonl>', 'training rows'),
  )
    .option('--judgments <file.csv>', 'exclude products judged relevant for a query from its negatives')
    .option('--seed <n>', 'query generation and sampling seed', '42')
    .action(async (o: GplDataFlags & { output: string; judgments?: string }) => {
      const s = gplDataSettings(o);
      const corpus = await loadCorpusInput(o.corpus, o.textTemplate);
      const queries = await obtainQueries(o, corpus, s.seed, s.perProduct);
      const judgments = o.judgments ? parseJudgments(await readTextFile(o.judgments), o.judgments).judgments : undefined;
      const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
      let mined;
      try {
        mined = await usingForward(encoder, (forward) => mineQueries(forward, queries, corpus, s.mine, judgments));
      } finally {
        encoder.dispose();
      }
      const { rows, loss } = await labelRows(mined, corpus, { ...s.label, seed: s.seed });
      await writeFileAtomic(o.output, formatTrainRows(rows));
      process.stderr.write(`wrote ${rows.length} rows to ${o.output} (train with --loss ${loss})\n`);
    });

  prepare
    .command('supervised')
    .description('pairs from judgments (rating >= threshold) plus mined hard negatives, split by query into train/validation')
    .requiredOption('--corpus <files...>', 'products: Chorus JSON arrays, .json.zip, .jsonl or .csv')
    .requiredOption('--judgments <file.csv>', 'query,docid,rating (or Quepid final_rating)')
    .requiredOption('--output <dir>', 'writes train.jsonl, validation.jsonl, validation-judgments.csv')
    .option('--model <dir|hub id>', 'bi-encoder that mines hard negatives (needed with --hard-negatives)')
    .option('--text-template <t>', 'product text', defaultTextTemplate)
    .option('--threshold <n>', 'rating at or above which a judged product is a positive', '2')
    .option('--hard-negatives <n>', 'mined negatives per (query, positive): one row each', '0')
    .option('--rank-from <n>', 'first mined rank used as a negative', '1')
    .option('--validation <fraction>', 'share of queries held out', '0.2')
    .option('--seed <n>', 'split seed', '42')
    .option('--encode-batch-size <n>', 'bi-encoder batch size', '32')
    .action(
      async (o: {
        corpus: string[];
        judgments: string;
        output: string;
        model?: string;
        textTemplate: string;
        threshold: string;
        hardNegatives: string;
        rankFrom: string;
        validation: string;
        seed: string;
        encodeBatchSize: string;
      }) => {
        const validation = parseNumber(o.validation, '--validation', { min: 0 });
        if (validation > 1) throw new CliError(`--validation must be a fraction in [0, 1], got "${o.validation}"`);
        const corpus = await loadCorpusInput(o.corpus, o.textTemplate);
        await prepareSupervised(corpus, {
          model: o.model,
          judgments: o.judgments,
          output: o.output,
          validation,
          threshold: parseNumber(o.threshold, '--threshold'),
          hardNegatives: parseNumber(o.hardNegatives, '--hard-negatives', { integer: true, min: 0 }),
          rankFrom: parseNumber(o.rankFrom, '--rank-from', { integer: true, min: 1 }),
          seed: parseNumber(o.seed, '--seed', { integer: true, min: 0 }),
          batchSize: parseNumber(o.encodeBatchSize, '--encode-batch-size', { integer: true, min: 1 }),
        });
      },
    );

  prepareClipCommand(prepare);
}
