import { mineHardNegatives, rowsByText, type MinedNegatives, type MiningScorers } from '../training/data/hardNegatives.ts';
import type { JudgedQuery } from '../training/data/supervised.ts';
import { Bm25Index } from '../training/eval/bm25.ts';
import { normalizeRows, unit } from '../training/eval/topk.ts';
import type { SupervisedPrepare } from './api/labApi.ts';
import type { TextEncoderLike } from '../training/eval/evaluator.ts';
import type { LoadedLabData } from './labData.ts';
import type { Progress } from './api/labApi.ts';

/** What mining needs from the session: the base model and its cached corpus vectors, the shared BM25 index. */
export interface MiningDeps {
  /** the base model: embeds queries for mining */
  encoder?: TextEncoderLike;
  /** the corpus embedded by the base model (cached by the caller: embedded once per model) */
  corpusVectors?: () => Promise<Float32Array[]>;
  /** BM25 over the corpus texts (the session's, shared with evaluation) */
  bm25?: () => Bm25Index;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** encode batch size; default 32 */
  batchSize?: number;
}

/**
 * Hard negatives for the judged queries (hardNegatives.ts, mine_hard_negatives' semantics): candidates from
 * the base model, BM25 or both, judged-relevant products excluded, ranks rankFrom… and the request's margin
 * filters against the query's first positive (in judgments order), `hardNegatives` of them per query.
 */
export async function mineJudged(
  data: LoadedLabData,
  queries: readonly JudgedQuery[],
  req: SupervisedPrepare,
  deps: MiningDeps,
): Promise<MinedNegatives> {
  const o = req.negatives ?? {};
  const source = o.source ?? 'dense';
  const scorers: MiningScorers = {};
  const positive = (q: JudgedQuery) => q.positives[0]!;
  if (source !== 'bm25') {
    // the caller checked there is a base model (prepareRows' PrepareError)
    const corpus = normalizeRows(await deps.corpusVectors!());
    deps.signal?.throwIfAborted();
    const vecs = await deps.encoder!.encode(
      queries.map((q) => q.text),
      {
        batchSize: deps.batchSize ?? 32,
        signal: deps.signal,
        onProgress: (done, total) => deps.onProgress?.({ phase: 'embed-queries', done, total, unit: 'items' }),
      },
    );
    const row = (r: number) => corpus.data.slice(r * corpus.dim, (r + 1) * corpus.dim);
    scorers.dense = { corpus, queries: vecs.map(unit), positives: queries.map((q) => row(positive(q))) };
  }
  if (source !== 'dense') scorers.bm25 = deps.bm25?.() ?? new Bm25Index(data.texts);
  const rangeMin = (req.rankFrom ?? 3) - 1;
  const wanted = req.hardNegatives ?? 1;
  // never a negative: a judged-relevant product, or any product whose text is one of the query's positives'
  const rowsOfText = rowsByText(data.texts);
  const banned = queries.map((q) => new Set([...q.relevant, ...q.positives.flatMap((p) => rowsOfText.get(data.texts[p]!) ?? [])]));
  deps.onProgress?.({ phase: 'mine', done: 0, total: queries.length, unit: 'items' });
  const mined = await mineHardNegatives(
    queries.map((q) => ({ query: q.text, positive: data.texts[positive(q)]! })),
    data.texts,
    scorers,
    { ...o, source, rangeMin, rangeMax: Math.max(rangeMin + wanted + 5, o.rangeMax ?? 0), numNegatives: wanted, examples: 8, signal: deps.signal },
    (i) => banned[i],
  );
  deps.onProgress?.({ phase: 'mine', done: queries.length, total: queries.length, unit: 'items' });
  return mined;
}
