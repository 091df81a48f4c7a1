/**
 * The steps shared by `ftlab prepare gpl` and `ftlab gpl`: queries → mined candidates → labelled rows.
 * Each step reads and writes plain JSONL so the work folder can be inspected and resumed.
 */
import { parseQueries, formatQueriesJsonl, type Query } from '../../training/data/queries.ts';
import { mineCandidates, resolveRankRange } from '../../training/data/mining.ts';
import { genqRows, marginRows, type LabelQuery, type LabelStats } from '../../training/data/gplLabels.ts';
import { normalizeRows } from '../../training/eval/topk.ts';
import { preview } from '../../training/data/corpus.ts';
import { relevantRowsByQuery, type Judgments } from '../../training/data/judgments.ts';
import type { TrainRow } from '../../training/data/trainRows.ts';
import type { TextEncoderLike } from '../../training/eval/evaluator.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTextFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';
import { progressReporter } from '../progress.ts';
import type { CorpusInput } from './corpusInput.ts';

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

export interface QuerySourceFlags {
  queries?: string;
  generate?: string;
  perProduct?: string;
}

/** Imported (--queries) or generated (--generate offline) queries. */
export async function obtainQueries(o: QuerySourceFlags, corpus: CorpusInput, seed: number, perProduct: number): Promise<Query[]> {
  if (o.queries && o.generate) throw new CliError('give --queries <file> or --generate offline, not both');
  if (o.queries) {
    const parsed = parseQueries(o.queries, await readTextFile(o.queries));
    parsed.warnings.forEach(warn);
    return parsed.queries;
  }
  if (o.generate === undefined) throw new CliError('queries needed: --queries <file> or --generate offline');
  if (o.generate !== 'offline') throw new CliError(`--generate must be "offline" (T5 generation: ftlab queries --source t5), got "${o.generate}"`);
  const { generateOfflineQueriesReport } = await import('../../training/data/offlineQueries.ts');
  const report = generateOfflineQueriesReport(corpus.products, { perProduct, seed });
  if (report.skippedIds.length)
    warn(`${report.skippedIds.length} product(s) gave no offline query (no type or usable title words): ${preview(report.skippedIds)}`);
  if (!report.queries.length) throw new CliError('the offline generator produced no query for this corpus');
  process.stderr.write(`generated ${report.queries.length} offline queries for ${corpus.products.length} products\n`);
  return report.queries;
}

export const formatQueries = formatQueriesJsonl;

export async function readQueriesFile(file: string): Promise<Query[]> {
  return parseQueries(file, await readTextFile(file)).queries;
}

export interface MineFlags {
  k?: number;
  rankFrom?: number;
  rankTo?: number;
  relevance?: number;
  batchSize?: number;
  searchless?: boolean;
}

/**
 * Embeds queries and corpus with the bi-encoder and mines candidates. A query's source product is excluded;
 * with judgments, the products judged relevant for the same query text (case-insensitive) are excluded too.
 * Queries naming a source product that is not in the corpus are dropped and reported.
 */
export async function mineQueries(
  encoder: TextEncoderLike,
  queries: readonly Query[],
  corpus: CorpusInput,
  o: MineFlags,
  judgments?: Judgments,
): Promise<LabelQuery[]> {
  const range = resolveRankRange(o);
  const unknown: string[] = [];
  const kept = queries.filter((q) => {
    if (q.sourceDocId === undefined || corpus.rowOf.has(q.sourceDocId)) return true;
    unknown.push(`${q.sourceDocId} (${JSON.stringify(q.text)})`);
    return false;
  });
  if (unknown.length)
    warn(
      `${unknown.length} quer${unknown.length === 1 ? 'y names a source product' : 'ies name source products'} not in the corpus (or without text); dropped: ${preview(unknown)}`,
    );
  if (!kept.length) throw new CliError('no query left to mine candidates for');
  if (o.searchless)
    return kept.map((q) => ({
      text: q.text,
      source: q.sourceDocId === undefined ? undefined : corpus.rowOf.get(q.sourceDocId),
      candidates: new Int32Array(0),
    }));
  const relevantFor = relevantRowsByQuery(judgments, corpus.rowOf, o.relevance ?? 2);
  const batchSize = o.batchSize ?? 32;
  const corpusVecs = await encoder.encode(corpus.texts, { batchSize, onProgress: progressReporter('mine: embed corpus') });
  const queryVecs = await encoder.encode(
    kept.map((q) => q.text),
    { batchSize, onProgress: progressReporter('mine: embed queries') },
  );
  const exclude = kept.map((q) => {
    const s = relevantFor(q.text);
    if (q.sourceDocId !== undefined) s.add(corpus.rowOf.get(q.sourceDocId)!);
    return s;
  });
  const mined = await mineCandidates(queryVecs, normalizeRows(corpusVecs), {
    ...range,
    rankFrom: range.from,
    rankTo: range.to,
    exclude: (i) => exclude[i],
    onProgress: progressReporter('mine: search'),
  });
  return kept.map((q, i) => ({
    text: q.text,
    source: q.sourceDocId === undefined ? undefined : corpus.rowOf.get(q.sourceDocId),
    candidates: mined[i]!.indices,
  }));
}

/** mined.jsonl: {"query", "sourceDocId"?, "candidates": [docid, ...]} per line, candidates best first. */
export function formatMined(mined: readonly LabelQuery[], corpus: CorpusInput): string {
  return (
    mined
      .map((m) =>
        JSON.stringify({
          query: m.text,
          ...(m.source !== undefined && { sourceDocId: corpus.ids[m.source] }),
          candidates: Array.from(m.candidates, (r) => corpus.ids[r]),
        }),
      )
      .join('\n') + '\n'
  );
}

export function parseMined(text: string, file: string, corpus: CorpusInput): LabelQuery[] {
  const row = (id: unknown, where: string) => {
    const r = typeof id === 'string' ? corpus.rowOf.get(id) : undefined;
    if (r === undefined)
      throw new CliError(
        `${where}: product ${JSON.stringify(id)} is not in the corpus (was ${file} mined from another corpus? delete it to redo the step)`,
      );
    return r;
  };
  return text.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    const where = `${file}:${i + 1}`;
    let o: { query?: unknown; sourceDocId?: unknown; candidates?: unknown };
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new CliError(`${where}: malformed JSON (${(e as Error).message})`);
    }
    if (typeof o.query !== 'string' || !Array.isArray(o.candidates)) throw new CliError(`${where}: expected {"query", "candidates": [...]}`);
    return [
      {
        text: o.query,
        source: o.sourceDocId === undefined ? undefined : row(o.sourceDocId, where),
        candidates: Int32Array.from(o.candidates, (c) => row(c, where)),
      },
    ];
  });
}

export interface LabelFlags {
  crossEncoder?: string;
  ceBackend?: string;
  negativesPerQuery?: number;
  numRelations?: number;
  seed: number;
  ceBatchSize?: number;
}

/** MarginMSE rows with a cross-encoder, else GenQ rows for MNRL (with one mined hard negative each). */
export async function labelRows(
  mined: readonly LabelQuery[],
  corpus: CorpusInput,
  o: LabelFlags,
): Promise<{ rows: TrainRow[]; loss: 'margin-mse' | 'mnrl' }> {
  let result: { rows: TrainRow[]; stats: LabelStats };
  let loss: 'margin-mse' | 'mnrl';
  if (o.crossEncoder) {
    if (o.negativesPerQuery === 0) throw new CliError('--negatives-per-query 0 gives no GPL rows; use at least 1 with --cross-encoder');
    if (o.ceBackend && o.ceBackend !== 'tfjs' && o.ceBackend !== 'onnx')
      throw new CliError(`--cross-encoder-backend must be tfjs or onnx, got "${o.ceBackend}"`);
    const { loadCrossEncoder } = await import('../../training/models/crossEncoder.ts');
    const ce = await loadCrossEncoder(await resolveModelSource(o.crossEncoder), {
      backend: o.ceBackend as 'tfjs' | 'onnx' | undefined,
      onWarning: warn,
    });
    try {
      result = await marginRows(mined, corpus.texts, ce, {
        negativesPerQuery: o.negativesPerQuery,
        numRelations: o.numRelations,
        seed: o.seed,
        batchSize: o.ceBatchSize,
        onProgress: progressReporter('label: cross-encoder pairs'),
      });
    } finally {
      ce.dispose();
    }
    loss = 'margin-mse';
  } else {
    const hardNegative = o.negativesPerQuery !== 0;
    process.stderr.write(
      `note: no --cross-encoder given: writing GenQ rows (query, source product${hardNegative ? ', mined hard negative' : ''}) for --loss mnrl instead of GPL margins\n`,
    );
    result = genqRows(mined, corpus.texts, { hardNegative, seed: o.seed });
    loss = 'mnrl';
  }
  const { stats } = result;
  process.stderr.write(
    `label: ${stats.rows} rows from ${stats.sourceQueries} queries with a source product` +
      (stats.pairwiseQueries ? ` and ${stats.pairwiseQueries} without` : '') +
      (stats.pairsScored ? ` (${stats.pairsScored} cross-encoder pairs)` : '') +
      '\n',
  );
  if (stats.skipped.noCandidates)
    warn(
      `${stats.skipped.noCandidates} quer${stats.skipped.noCandidates === 1 ? 'y has' : 'ies have'} no usable mined candidate and gave no row (corpus too small or rank range too narrow?)`,
    );
  if (stats.skipped.noSource)
    warn(
      `${stats.skipped.noSource} quer${stats.skipped.noSource === 1 ? 'y has' : 'ies have'} no source product and gave no GenQ row (a cross-encoder can label them)`,
    );
  if (!result.rows.length) throw new CliError('no training rows were produced');
  return { rows: result.rows, loss };
}
