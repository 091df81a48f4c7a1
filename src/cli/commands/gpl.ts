import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseJudgments } from '../../training/data/judgments.ts';
import { parseTrainRows } from '../../training/data/trainRows.ts';
import { formatTrainRows } from '../../training/data/rowsFile.ts';
import { familyForType, loadSentenceEncoder } from '../../training/families/registry.ts';
import { usingForward } from '../forward.ts';
import type { SentenceEncoder } from '../../training/models/sentenceEncoder.ts';
import type { ModelCardInfo } from '../../training/export/modelCard.ts';
import { folderCheckpointStore } from '../folderCheckpointStore.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTextFile } from '../inputs.ts';
import { parseNumber } from '../cliError.ts';
import { loadCorpusInput } from '../pipeline/corpusInput.ts';
import { cliEvaluation } from '../pipeline/evaluation.ts';
import { formatMined, formatQueries, labelRows, mineQueries, obtainQueries, parseMined, readQueriesFile } from '../pipeline/gplSteps.ts';
import { configFromFlags, formatMetrics, runTraining, trainOptions, type TrainHyperFlags } from '../pipeline/trainOptions.ts';
import { stepRunner, writeFileAtomic, writeModelDirAtomic } from '../pipeline/workDir.ts';
import { gplDataOptions, gplDataSettings, type GplDataFlags } from './prepare.ts';

interface GplFlags extends GplDataFlags, TrainHyperFlags {
  workDir: string;
  output: string;
  judgments?: string;
  evalK: string;
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

/**
 * The unsupervised pipeline in one command: queries → mine → label → eval before → train → eval after →
 * export. Every step writes one output in --work-dir and is skipped when that output exists, so a re-run
 * after a crash or Ctrl-C continues where it stopped (training itself resumes from work-dir/checkpoints
 * when --checkpoint-every is set).
 */
export function gplCommand(program: Command) {
  const cmd = trainOptions(
    gplDataOptions(
      program
        .command('gpl')
        .description('unsupervised domain adaptation: queries → mine → label → train → eval before/after → export, resumable')
        .requiredOption('--model <dir|hub id>', 'base bi-encoder (mines candidates and is fine-tuned)')
        .requiredOption('--work-dir <dir>', 'intermediate files; finished steps are skipped on a re-run')
        .requiredOption('--output <dir>', 'export folder of the fine-tuned model'),
    )
      .option('--judgments <file.csv>', 'evaluate before and after on the corpus (query,docid,rating)')
      .option('--eval-k <n>', 'cut-off for nDCG and MRR', '10'),
  ).option('--checkpoint-every <n>', 'steps between training checkpoints in work-dir/checkpoints');

  cmd.action(async (o: GplFlags) => {
    const s = gplDataSettings(o);
    const w = (name: string) => path.join(o.workDir, name);
    const files = {
      queries: w('queries.jsonl'),
      mined: w('mined.jsonl'),
      rows: w('rows.jsonl'),
      before: w('eval-before.json'),
      model: w('model'),
      after: w('eval-after.json'),
    };
    const corpus = await loadCorpusInput(o.corpus, o.textTemplate);
    const parsedJudgments = o.judgments ? parseJudgments(await readTextFile(o.judgments), o.judgments) : undefined;
    parsedJudgments?.warnings.forEach(warn);
    const evaluation =
      parsedJudgments &&
      cliEvaluation({ ids: corpus.ids, texts: corpus.texts }, parsedJudgments.judgments, {
        k: parseNumber(o.evalK, '--eval-k', { integer: true, min: 1 }),
        relevanceThreshold: s.mine.relevance,
      });
    const step = stepRunner('gpl', evaluation ? 7 : 5);
    const load = async (spec: string, dropout?: number) => loadSentenceEncoder(await resolveModelSource(spec), { dropout, onWarning: warn });
    let base: SentenceEncoder | undefined;
    let trained: SentenceEncoder | undefined;
    const baseEncoder = async () => (base ??= await load(o.model));
    // the family writes the folder (BERT and XLM-R differ in config.json and the ONNX graph)
    const exportFiles = (encoder: SentenceEncoder, card: ModelCardInfo) => familyForType(encoder.modelConfig.model_type).exportFiles(encoder, card);
    const trainedEncoder = async () => (trained ??= await load(files.model));
    const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as Record<string, number>;
    try {
      await step('queries', files.queries, async () => {
        await writeFileAtomic(files.queries, formatQueries(await obtainQueries(o, corpus, s.seed, s.perProduct)));
      });
      await step('mine', files.mined, async () => {
        const queries = await readQueriesFile(files.queries);
        const mined = await usingForward(await baseEncoder(), (forward) => mineQueries(forward, queries, corpus, s.mine, parsedJudgments?.judgments));
        await writeFileAtomic(files.mined, formatMined(mined, corpus));
      });
      await step('label', files.rows, async () => {
        const mined = parseMined(await readTextFile(files.mined), files.mined, corpus);
        const { rows } = await labelRows(mined, corpus, { ...s.label, seed: s.seed });
        await writeFileAtomic(files.rows, formatTrainRows(rows));
      });
      if (evaluation) {
        await step('eval before', files.before, async () => {
          await writeFileAtomic(
            files.before,
            `${JSON.stringify((await usingForward(await baseEncoder(), (forward) => evaluation.evaluate(forward))).metrics, null, 1)}\n`,
          );
        });
      }
      const rows = parseTrainRows(await readTextFile(files.rows), files.rows);
      const loss = rows.every((r) => r.margin !== undefined && r.negative !== undefined) ? 'margin-mse' : 'mnrl';
      const config = configFromFlags(o, loss);
      const before = evaluation ? await readJson(files.before) : undefined;
      const card = (after?: Record<string, number>) => ({
        baseModel: o.model,
        data: { name: 'rows.jsonl', rows: rows.length },
        loss: loss === 'mnrl' ? 'MultipleNegativesRankingLoss' : 'MarginMSELoss',
        hyperparameters: { ...config } as unknown as Record<string, string | number | boolean>,
        metricsBefore: before,
        metricsAfter: after,
      });
      await step(`train (${loss}, ${rows.length} rows)`, files.model, async () => {
        const encoder = await baseEncoder();
        base = undefined; // trained in place: no longer the base model
        const store = folderCheckpointStore(w('checkpoints'));
        const resume = await store.loadLatest();
        if (resume) process.stderr.write(`resuming training from the checkpoint at step ${resume.step} in ${w('checkpoints')}\n`);
        await runTraining(encoder, rows, config, {
          store,
          resume,
          logJson: o.logJson,
          resumeHint: `re-run the same command to continue from ${w('checkpoints')}`,
        });
        trained = encoder;
        await writeModelDirAtomic(files.model, await exportFiles(encoder, card()));
      });
      if (evaluation) {
        await step('eval after', files.after, async () => {
          await writeFileAtomic(
            files.after,
            `${JSON.stringify((await usingForward(await trainedEncoder(), (forward) => evaluation.evaluate(forward))).metrics, null, 1)}\n`,
          );
        });
      }
      const after = evaluation ? await readJson(files.after) : undefined;
      await step('export', o.output, async () => {
        await writeModelDirAtomic(o.output, await exportFiles(await trainedEncoder(), card(after)));
      });
      if (before && after) {
        process.stdout.write(`before: ${formatMetrics(before)}\n`);
        process.stdout.write(`after:  ${formatMetrics(after)}\n`);
      }
      process.stderr.write(`model: ${o.output}\n`);
    } finally {
      base?.dispose();
      trained?.dispose();
    }
  });
}
