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
import { countRelevant } from '../data/judgments.ts';
import { preview } from '../data/corpus.ts';
import type { EvaluateOptions, EvaluationResult, Evaluator, TextEncoderLike } from './evaluator.ts';
import { computeMetrics, rankingDepth, type MetricOptions } from './metrics.ts';
import { cosineTopK, normalizeRows } from './topk.ts';

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
  readonly missingJudged: string[] = [];
  private readonly warnings: string[] = [];
  private readonly queries: string[];

  constructor(
    private readonly corpus: RetrievalCorpus,
    private readonly judgments: Judgments,
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
    this.queries = [...judgments].filter(([, judged]) => countRelevant(judged, threshold) > 0).map(([q]) => q);
    if (!this.queries.length) {
      throw new RangeError(`no judged query has a doc rated ${threshold} or higher; nothing to evaluate`);
    }
    let missingRelevant = 0;
    for (const [q, judged] of judgments) {
      for (const [doc, rating] of judged) {
        if (ids.has(doc)) continue;
        this.missingJudged.push(`${q} / ${doc}`);
        if (rating >= threshold) missingRelevant++;
      }
    }
    if (this.missingJudged.length) {
      this.warnings.push(
        `${this.missingJudged.length} judged docid(s) are not in the corpus (${missingRelevant} of them relevant); ` +
          `they still count as relevant/ideal but can never be retrieved: ${preview(this.missingJudged)}`,
      );
    }
  }

  async evaluate(encoder: TextEncoderLike, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    const { signal, onProgress } = opts;
    const batchSize = this.opts.batchSize ?? 32;
    const corpusVecs = await encoder.encode([...this.corpus.texts], {
      batchSize,
      signal,
      onProgress: (done, total) => onProgress?.({ phase: 'corpus', done, total }),
    });
    signal?.throwIfAborted();
    const queryVecs = await encoder.encode(this.queries, {
      batchSize,
      signal,
      onProgress: (done, total) => onProgress?.({ phase: 'queries', done, total }),
    });
    if (corpusVecs.length !== this.corpus.ids.length || queryVecs.length !== this.queries.length) {
      throw new Error(
        `encoder returned ${corpusVecs.length}/${queryVecs.length} embeddings for ${this.corpus.ids.length} docs/${this.queries.length} queries`,
      );
    }
    onProgress?.({ phase: 'search', done: 0, total: this.queries.length });
    const hits = cosineTopK(queryVecs, normalizeRows(corpusVecs), rankingDepth(this.opts), { signal });
    onProgress?.({ phase: 'search', done: this.queries.length, total: this.queries.length });

    const rankings = new Map<string, string[]>();
    this.queries.forEach((q, i) =>
      rankings.set(
        q,
        Array.from(hits[i]!.indices, (r) => this.corpus.ids[r]!),
      ),
    );
    const summary = computeMetrics(rankings, this.judgments, this.opts);
    return { metrics: summary.metrics, queries: summary.queries, skippedQueries: summary.skippedQueries, warnings: [...this.warnings] };
  }
}
