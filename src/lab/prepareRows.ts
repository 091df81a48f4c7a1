/**
 * Training rows for the lab's two modes, on top of the data-step modules (the same steps `ftlab gpl` and
 * `ftlab prepare supervised` run, without files in between):
 * - unsupervised: offline (rule-based) or imported queries → candidates mined with the base model → GPL
 *   MarginMSE rows when a cross-encoder is given, else GenQ rows for MNRL (their hard negative from the base
 *   model's top k, or from mineNegatives.ts with BM25/dense sources and mine_hard_negatives' filters);
 * - supervised: judgments → (query, positive[, mined hard negative]) rows, split by query into train and
 *   validation so no query is on both sides.
 */
import { generateOfflineQueriesReport } from '../training/data/offlineQueries.ts';
import { mineCandidates } from '../training/data/mining.ts';
import { genqRows, marginRows, type LabelQuery, type LabelStats } from '../training/data/gplLabels.ts';
import { describeUnknown, judgedQueries, splitByQuery, supervisedRows } from '../training/data/supervised.ts';
import type { Query } from '../training/data/queries.ts';
import { relevantRowsByQuery } from '../training/data/judgments.ts';
import { preview } from '../training/data/corpus.ts';
import { normalizeRows } from '../training/eval/topk.ts';
import { mineNegatives, type MiningDeps } from './mineNegatives.ts';
import type { CrossEncoder } from '../training/models/crossEncoder.ts';
import type { TrainRow } from '../training/data/trainRows.ts';
import type { PreparedData, Progress, SupervisedPrepare, UnsupervisedPrepare } from './api/labApi.ts';
import type { LoadedLabData } from './labData.ts';

/** MiningDeps (base model, its cached corpus vectors, BM25, abort, progress) and the GPL teacher's loader. */
export interface PrepareDeps extends MiningDeps {
  /** loads the request's cross-encoder (GPL) */
  loadCrossEncoder?: (spec: NonNullable<UnsupervisedPrepare['crossEncoder']>) => Promise<CrossEncoder>;
}

export class PrepareError extends Error {
  override name = 'PrepareError';
}

const items = (phase: Progress['phase'], on?: (p: Progress) => void) => (done: number, total?: number) => on?.({ phase, done, total, unit: 'items' });

function checkMiningModel(o: { source?: string } | undefined, deps: PrepareDeps): void {
  if ((o?.source ?? 'dense') !== 'bm25' && (!deps.encoder || !deps.corpusVectors))
    throw new PrepareError('mining hard negatives with the model needs a base model: load one first (or take negatives from BM25)');
}

/** Each query's top-k products by the base model (GPL's candidates, GenQ's pool of negatives), minus `exclude`. */
async function labelQueries(
  queries: readonly Query[],
  source: (q: Query) => number | undefined,
  exclude: readonly ReadonlySet<number>[],
  k: number,
  data: LoadedLabData,
  deps: PrepareDeps,
): Promise<LabelQuery[]> {
  if (!deps.encoder || !deps.corpusVectors) throw new PrepareError('mining hard negatives needs a base model: load one first');
  const corpusVecs = await deps.corpusVectors();
  deps.signal?.throwIfAborted();
  const queryVecs = await deps.encoder.encode(
    queries.map((q) => q.text),
    { batchSize: deps.batchSize ?? 32, signal: deps.signal, onProgress: items('embed-queries', deps.onProgress) },
  );
  const mined = await mineCandidates(queryVecs, normalizeRows(corpusVecs), {
    k: Math.min(k, data.ids.length),
    rankFrom: 1,
    exclude: (i) => exclude[i],
    signal: deps.signal,
    onProgress: items('mine', deps.onProgress),
  });
  return queries.map((q, i) => ({ text: q.text, source: source(q), candidates: mined[i]!.indices }));
}

/**
 * GenQ rows with a hard negative from mine_hard_negatives' semantics (the request's source and filters,
 * margins against the query's own product): queries whose candidates all fail the filters give no row, as
 * sentence-transformers' triplet output drops them.
 */
async function genqMined(
  data: LoadedLabData,
  queries: readonly Query[],
  source: (q: Query) => number | undefined,
  exclude: readonly ReadonlySet<number>[],
  req: UnsupervisedPrepare,
  deps: PrepareDeps,
): Promise<{ result: { rows: TrainRow[]; stats: LabelStats }; mining: PreparedData['mining'] }> {
  const o = req.negatives!;
  checkMiningModel(o, deps);
  const withSource = queries.flatMap((q, i) => (source(q) === undefined ? [] : [i]));
  const mined = await mineNegatives(
    data,
    withSource.map((i) => ({ text: queries[i]!.text, positive: source(queries[i]!)!, banned: exclude[i]! })),
    // the README recipe's depth: 30 candidates, so a margin filter still leaves most queries a negative
    { ...o, rangeMin: o.rangeMin ?? 0, rangeMax: o.rangeMax ?? 30, numNegatives: 1, seed: req.seed ?? 42 },
    deps,
  );
  const stats: LabelStats = {
    rows: mined.rows.length,
    sourceQueries: mined.rows.length,
    pairwiseQueries: 0,
    skipped: { noCandidates: mined.stats.queriesWithoutNegatives, noSource: queries.length - withSource.length },
    pairsScored: 0,
  };
  return { result: { rows: mined.rows, stats }, mining: { stats: mined.stats, examples: mined.examples } };
}

function obtainQueries(data: LoadedLabData, req: UnsupervisedPrepare, warnings: string[]): Query[] {
  if (req.querySource === 'imported') {
    if (!data.queries?.length)
      throw new PrepareError('no imported queries: drop a queries file (JSONL, text or query-log CSV) in the Data step, or use offline queries');
    return data.queries;
  }
  const products = req.maxProducts ? data.products.slice(0, req.maxProducts) : data.products;
  const report = generateOfflineQueriesReport(products, { perProduct: req.perProduct ?? 1, seed: req.seed ?? 42 });
  if (report.skippedIds.length)
    warnings.push(`${report.skippedIds.length} product(s) gave no offline query (no type or usable title words): ${preview(report.skippedIds)}`);
  if (!report.queries.length) throw new PrepareError('the offline query generator produced no query for this corpus');
  return report.queries;
}

async function unsupervised(data: LoadedLabData, req: UnsupervisedPrepare, deps: PrepareDeps): Promise<PreparedData> {
  const warnings: string[] = [];
  const all = obtainQueries(data, req, warnings);
  deps.onProgress?.({ phase: 'queries', done: all.length, total: all.length, unit: 'items' });
  const unknown = all.filter((q) => q.sourceDocId !== undefined && !data.rowOf.has(q.sourceDocId));
  if (unknown.length)
    warnings.push(
      `${unknown.length} quer${unknown.length === 1 ? 'y names a source product' : 'ies name source products'} not in the corpus; dropped: ${preview(unknown.map((q) => `${q.sourceDocId} (${JSON.stringify(q.text)})`))}`,
    );
  const queries = all.filter((q) => q.sourceDocId === undefined || data.rowOf.has(q.sourceDocId));
  if (!queries.length) throw new PrepareError('no query left to train on');
  const source = (q: Query) => (q.sourceDocId === undefined ? undefined : data.rowOf.get(q.sourceDocId));
  const useCe = req.crossEncoder !== undefined;
  // Products judged relevant for the same query text must not become its negatives.
  const relevantFor = relevantRowsByQuery(data.judgments, data.rowOf);
  const exclude = queries.map((q) => {
    const s = relevantFor(q.text);
    const r = source(q);
    if (r !== undefined) s.add(r);
    return s;
  });
  let result: { rows: TrainRow[]; stats: LabelStats };
  let mining: PreparedData['mining'];
  if (!useCe && req.negatives) {
    ({ result, mining } = await genqMined(data, queries, source, exclude, req, deps));
  } else if (req.crossEncoder) {
    if (!deps.loadCrossEncoder) throw new PrepareError('GPL needs a cross-encoder loader');
    const mined = await labelQueries(queries, source, exclude, req.k ?? 50, data, deps);
    const ce = await deps.loadCrossEncoder(req.crossEncoder);
    try {
      result = await marginRows(mined, data.texts, ce, {
        negativesPerQuery: req.negativesPerQuery ?? 1,
        seed: req.seed ?? 42,
        signal: deps.signal,
        onProgress: items('cross-encoder', deps.onProgress),
      });
    } finally {
      ce.dispose();
    }
  } else {
    const withNegative = req.mineNegatives ?? true;
    const none = () => queries.map((q) => ({ text: q.text, source: source(q), candidates: new Int32Array(0) }));
    const mined = withNegative ? await labelQueries(queries, source, exclude, req.k ?? 10, data, deps) : none();
    result = genqRows(mined, data.texts, { hardNegative: withNegative, seed: req.seed ?? 42 });
  }
  const { stats } = result;
  if (stats.skipped.noCandidates)
    warnings.push(
      `${stats.skipped.noCandidates} quer${stats.skipped.noCandidates === 1 ? 'y has' : 'ies have'} no usable mined candidate and gave no row`,
    );
  if (stats.skipped.noSource)
    warnings.push(
      `${stats.skipped.noSource} quer${stats.skipped.noSource === 1 ? 'y has' : 'ies have'} no source product and gave no GenQ row (a cross-encoder can label them)`,
    );
  if (!result.rows.length) throw new PrepareError('no training rows were produced');
  deps.onProgress?.({ phase: 'rows', done: result.rows.length, total: result.rows.length, unit: 'items' });
  return {
    rows: result.rows,
    loss: useCe ? 'margin-mse' : 'mnrl',
    queries: queries.length,
    ...(mining && { mining }),
    warnings,
    stats: {
      rows: stats.rows,
      sourceQueries: stats.sourceQueries,
      pairwiseQueries: stats.pairwiseQueries,
      pairsScored: stats.pairsScored,
      queries: queries.length,
    },
  };
}

async function supervised(data: LoadedLabData, req: SupervisedPrepare, deps: PrepareDeps): Promise<PreparedData> {
  if (!data.judgments) throw new PrepareError('supervised mode needs judgments: drop a judgments CSV (query, docid, rating) in the Data step');
  const warnings: string[] = [];
  const threshold = req.threshold ?? 2;
  const hardNegatives = req.hardNegatives ?? 1;
  const judged = judgedQueries(data.judgments, data.ids, { threshold, lines: data.judgmentLines, source: data.judgmentsName });
  if (judged.unknown.length)
    warnings.push(`${judged.unknown.length} judged docid(s) are not in the corpus and are ignored: ${preview(judged.unknown.map(describeUnknown))}`);
  if (judged.withoutPositive.length)
    warnings.push(
      `${judged.withoutPositive.length} judged quer${judged.withoutPositive.length === 1 ? 'y has' : 'ies have'} no product rated ${threshold}+ in the corpus and give no row: ${preview(judged.withoutPositive)}`,
    );
  if (hardNegatives > 0) checkMiningModel(req.negatives, deps);
  const mining = judged.queries.map((q) => ({ text: q.text, positive: q.positives[0]!, banned: [...q.relevant, ...q.positives] }));
  const rangeMin = (req.rankFrom ?? 3) - 1;
  const mined = hardNegatives > 0 ? await mineNegatives(data, mining, { ...req.negatives, rangeMin, numNegatives: hardNegatives }, deps) : undefined;
  const candidates = mined?.negatives;
  const split = splitByQuery(
    judged.queries.map((q) => q.text),
    req.validation ?? 0.2,
    req.seed ?? 42,
  );
  const side = new Set(split.validation);
  const idx = judged.queries.map((_, i) => i).filter((i) => !side.has(judged.queries[i]!.text));
  const train = supervisedRows(
    idx.map((i) => judged.queries[i]!),
    data.texts,
    { hardNegatives, candidates: candidates && idx.map((i) => candidates[i]!) },
  );
  if (train.stats.droppedNoNegative.length)
    warnings.push(
      `${train.stats.droppedNoNegative.length} quer${train.stats.droppedNoNegative.length === 1 ? 'y' : 'ies'} dropped, no hard negative available: ${preview(train.stats.droppedNoNegative)}`,
    );
  if (train.stats.shortOfNegatives)
    warnings.push(
      `${train.stats.shortOfNegatives} quer${train.stats.shortOfNegatives === 1 ? 'y' : 'ies'} got fewer than ${hardNegatives} hard negatives`,
    );
  if (!train.rows.length) throw new PrepareError('no training rows: every query went to validation or had no usable pair');
  deps.onProgress?.({ phase: 'rows', done: train.rows.length, total: train.rows.length, unit: 'items' });
  return {
    rows: train.rows,
    loss: 'mnrl',
    trainQueries: split.train,
    validationQueries: split.validation,
    ...(mined && { mining: { stats: mined.stats, examples: mined.examples } }),
    warnings,
    stats: {
      rows: train.rows.length,
      trainQueries: split.train.length,
      validationQueries: split.validation.length,
      unknownDocs: judged.unknown.length,
    },
  };
}

/** Text rows; CLIP requests go to clipPrepare.ts. */
export function prepareRows(data: LoadedLabData, req: UnsupervisedPrepare | SupervisedPrepare, deps: PrepareDeps = {}): Promise<PreparedData> {
  return req.mode === 'supervised' ? supervised(data, req, deps) : unsupervised(data, req, deps);
}
