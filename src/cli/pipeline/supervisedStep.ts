/** `ftlab prepare supervised`: judgments → (query, positive[, hard negative]) rows, split by query. */
import path from 'node:path';
import Papa from 'papaparse';
import { parseJudgments, type Judgments } from '../../training/data/judgments.ts';
import { describeUnknown, judgedQueries, splitByQuery, supervisedRows, type JudgedQuery } from '../../training/data/supervised.ts';
import { mineCandidates } from '../../training/data/mining.ts';
import { normalizeRows } from '../../training/eval/topk.ts';
import { preview } from '../../training/data/corpus.ts';
import { formatTrainRows } from '../../training/data/rowsFile.ts';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { sentenceForward } from '../forward.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTextFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';
import { progressReporter } from '../progress.ts';
import type { CorpusInput } from './corpusInput.ts';
import { writeFileAtomic } from './workDir.ts';

export interface SupervisedSettings {
  model?: string;
  judgments: string;
  threshold: number;
  hardNegatives: number;
  rankFrom: number;
  validation: number;
  seed: number;
  batchSize: number;
  output: string;
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

async function mineNegatives(model: string, queries: readonly JudgedQuery[], corpus: CorpusInput, s: SupervisedSettings): Promise<Int32Array[]> {
  const loaded = await loadSentenceEncoder(await resolveModelSource(model), { onWarning: warn });
  const encoder = sentenceForward(loaded);
  try {
    const corpusVecs = await encoder.encode(corpus.texts, { batchSize: s.batchSize, onProgress: progressReporter('mine: embed corpus') });
    const queryVecs = await encoder.encode(
      queries.map((q) => q.text),
      { batchSize: s.batchSize, onProgress: progressReporter('mine: embed queries') },
    );
    // A few spare ranks so candidates sharing a positive's text can be skipped without running short.
    const k = s.rankFrom - 1 + s.hardNegatives + 5;
    const mined = await mineCandidates(queryVecs, normalizeRows(corpusVecs), {
      k,
      rankFrom: s.rankFrom,
      exclude: (i) => queries[i]!.relevant,
      onProgress: progressReporter('mine: search'),
    });
    return mined.map((m) => m.indices);
  } finally {
    await encoder.release();
    loaded.dispose();
  }
}

function judgmentsCsv(judgments: Judgments, queries: readonly string[]): string {
  const rows = queries.flatMap((q) => [...(judgments.get(q) ?? [])].map(([docid, rating]) => [q, docid, rating]));
  return `${Papa.unparse({ fields: ['query', 'docid', 'rating'], data: rows }, { newline: '\n' })}\n`;
}

export async function prepareSupervised(corpus: CorpusInput, s: SupervisedSettings): Promise<void> {
  const parsed = parseJudgments(await readTextFile(s.judgments), s.judgments);
  parsed.warnings.forEach(warn);
  const judged = judgedQueries(parsed.judgments, corpus.ids, { threshold: s.threshold, lines: parsed.lines, source: s.judgments });
  if (judged.unknown.length)
    warn(
      `${s.judgments}: ${judged.unknown.length} judged docid(s) are not in the corpus and are ignored: ${preview(judged.unknown.map(describeUnknown))}`,
    );
  if (judged.withoutPositive.length)
    warn(
      `${judged.withoutPositive.length} judged quer${judged.withoutPositive.length === 1 ? 'y has' : 'ies have'} no product rated ${s.threshold}+ in the corpus and give no row: ${preview(judged.withoutPositive)}`,
    );
  if (s.hardNegatives > 0 && !s.model) throw new CliError('--hard-negatives needs --model (the bi-encoder that mines them)');
  const candidates = s.hardNegatives > 0 ? await mineNegatives(s.model!, judged.queries, corpus, s) : undefined;

  const split = splitByQuery(
    judged.queries.map((q) => q.text),
    s.validation,
    s.seed,
  );
  const side = new Set(split.validation);
  const pick = (val: boolean) => {
    const idx = judged.queries.map((_, i) => i).filter((i) => side.has(judged.queries[i]!.text) === val);
    return supervisedRows(
      idx.map((i) => judged.queries[i]!),
      corpus.texts,
      { hardNegatives: s.hardNegatives, candidates: candidates && idx.map((i) => candidates[i]!) },
    );
  };
  const train = pick(false);
  const validation = pick(true);
  for (const [name, r] of [
    ['train', train],
    ['validation', validation],
  ] as const) {
    if (r.stats.droppedNoNegative.length)
      warn(
        `${name}: ${r.stats.droppedNoNegative.length} quer${r.stats.droppedNoNegative.length === 1 ? 'y' : 'ies'} dropped, no hard negative available (mnrl needs the negative column on every row): ${preview(r.stats.droppedNoNegative)}`,
      );
    if (r.stats.shortOfNegatives)
      warn(
        `${name}: ${r.stats.shortOfNegatives} quer${r.stats.shortOfNegatives === 1 ? 'y' : 'ies'} got fewer than ${s.hardNegatives} hard negatives (fewer rows for them)`,
      );
  }
  if (!train.rows.length) throw new CliError('no training rows: every query went to validation or had no usable pair');
  await writeFileAtomic(path.join(s.output, 'train.jsonl'), formatTrainRows(train.rows));
  if (split.validation.length) {
    await writeFileAtomic(path.join(s.output, 'validation.jsonl'), formatTrainRows(validation.rows));
    await writeFileAtomic(path.join(s.output, 'validation-judgments.csv'), judgmentsCsv(parsed.judgments, split.validation));
  }
  process.stderr.write(
    `supervised: ${train.rows.length} train rows (${split.train.length} queries), ${validation.rows.length} validation rows (${split.validation.length} queries)` +
      `${s.hardNegatives ? `, ${s.hardNegatives} hard negative(s) per pair` : ''} -> ${s.output}\n`,
  );
}
