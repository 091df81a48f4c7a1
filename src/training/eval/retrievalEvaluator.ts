/**
 * Dense retrieval evaluation (sentence-transformers' InformationRetrievalEvaluator, BEIR metrics): embed the
 * corpus and the judged queries, rank the whole corpus by cosine similarity, score the rankings against
 * graded judgments.
 *
 * Judged docids that are not in the corpus are reported, and still count in the ideal DCG and in
 * |relevant| even though they can never be retrieved. That is what pytrec_eval / BEIR do (the qrels define
 * the ideal, the run only what was found), and it keeps numbers comparable with those tools; dropping them
 * would quietly raise the scores of a corpus that lost products.
 */
import type { Judgments } from '../data/judgments.ts';
import type { EvaluateOptions, EvaluationResult, Evaluator, TextEncoderLike } from './evaluator.ts';
import { judgedQueries, rankAndScore, unretrievableJudged, type JudgedRun } from './judgedRetrieval.ts';
import type { MetricOptions } from './metrics.ts';

export interface RetrievalCorpus {
  ids: readonly string[];
  texts: readonly string[];
}

export interface RetrievalEvaluatorOptions extends MetricOptions {
  /** encoder batch size; default 32 */
  batchSize?: number;
  /** default 'retrieval' */
  name?: string;
}

export class RetrievalEvaluator implements Evaluator {
  readonly name: string;
  readonly primaryMetric: string;
  /** judged (query, docid) pairs whose docid is not in the corpus, as "query / docid" */
  readonly missingJudged: string[];
  private readonly run: JudgedRun;

  constructor(
    private readonly corpus: RetrievalCorpus,
    judgments: Judgments,
    private readonly opts: RetrievalEvaluatorOptions = {},
  ) {
    this.name = opts.name ?? 'retrieval';
    this.primaryMetric = `ndcg@${opts.k ?? 10}`;
    if (corpus.ids.length !== corpus.texts.length) {
      throw new RangeError(`corpus has ${corpus.ids.length} ids but ${corpus.texts.length} texts`);
    }
    if (!corpus.ids.length) throw new RangeError('the evaluation corpus is empty');
    const ids = new Set(corpus.ids);
    if (ids.size !== corpus.ids.length) throw new RangeError('the evaluation corpus has duplicate ids');
    const threshold = opts.relevanceThreshold ?? 2;
    const queries = judgedQueries(judgments, threshold, 'doc');
    const unretrievable = unretrievableJudged(judgments, ids, threshold, 'docid(s) are not in the corpus');
    this.missingJudged = unretrievable.pairs;
    this.run = { ids: corpus.ids, queries, judgments, metrics: opts, warnings: unretrievable.warnings, corpusItems: 'docs' };
  }

  async evaluate(encoder: TextEncoderLike, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    const { signal, onProgress } = opts;
    const corpusVecs = await encoder.encode([...this.corpus.texts], {
      batchSize: this.opts.batchSize ?? 32,
      signal,
      onProgress: (done, total) => onProgress?.({ phase: 'corpus', done, total }),
    });
    signal?.throwIfAborted();
    return rankAndScore(encoder, corpusVecs, this.run, opts);
  }
}
