/**
 * The lab's hard-negative mining (hardNegatives.ts, mine_hard_negatives' semantics) for both text modes:
 * supervised pairs from the judgments and unsupervised GenQ pairs (a query and the product it came from).
 * Candidates from the base model, BM25 or both; the caller names, per query, the rows that must never be
 * its negatives (judged-relevant products, the other positives); those and the positive count by text, so a
 * duplicate of a relevant product is never a negative either.
 */
import { mineHardNegatives, rowsByText, type HardNegativeOptions, type MinedNegatives, type MiningScorers } from '../training/data/hardNegatives.ts';
import { Bm25Index } from '../training/eval/bm25.ts';
import { normalizeRows, unit } from '../training/eval/topk.ts';
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

export interface MiningQuery {
  text: string;
  /** the corpus row of the positive the margins are measured against */
  positive: number;
  /** rows that are never this query's negatives */
  banned: Iterable<number>;
}

/** The request's mine_hard_negatives options, plus the ranks skipped and the negatives wanted per query. */
export type MiningRequest = Pick<
  HardNegativeOptions,
  'source' | 'rangeMax' | 'maxScore' | 'minScore' | 'absoluteMargin' | 'relativeMargin' | 'sampling'
> & {
  rangeMin: number;
  numNegatives: number;
  seed?: number;
};

export async function mineNegatives(
  data: LoadedLabData,
  queries: readonly MiningQuery[],
  o: MiningRequest,
  deps: MiningDeps,
): Promise<MinedNegatives> {
  const source = o.source ?? 'dense';
  const scorers: MiningScorers = {};
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
    scorers.dense = { corpus, queries: vecs.map(unit), positives: queries.map((q) => row(q.positive)) };
  }
  if (source !== 'dense') scorers.bm25 = deps.bm25?.() ?? new Bm25Index(data.texts);
  const rowsOfText = rowsByText(data.texts);
  const banned = queries.map((q) => new Set([q.positive, ...q.banned].flatMap((r) => rowsOfText.get(data.texts[r]!) ?? [r])));
  deps.onProgress?.({ phase: 'mine', done: 0, total: queries.length, unit: 'items' });
  const { rangeMin, numNegatives } = o;
  const mined = await mineHardNegatives(
    queries.map((q) => ({ query: q.text, positive: data.texts[q.positive]! })),
    data.texts,
    scorers,
    { ...o, source, rangeMax: Math.max(rangeMin + numNegatives + 5, o.rangeMax ?? 0), examples: 8, signal: deps.signal },
    (i) => banned[i],
  );
  deps.onProgress?.({ phase: 'mine', done: queries.length, total: queries.length, unit: 'items' });
  return mined;
}
