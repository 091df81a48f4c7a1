/**
 * The lab API's run types (re-exported by labApi.ts): preparing training rows, a training request with its
 * events and outcome, evaluation and the search playground. All structured-cloneable: a TrainRequest is
 * stored as-is in IndexedDB and replayed by Resume.
 */
import type { TrainRow } from '../../training/data/trainRows.ts';
import type { HardNegativeOptions, MiningExample, MiningStats } from '../../training/data/hardNegatives.ts';
import type { TrainConfig } from '../../training/train/trainDefaults.ts';
import type { TrainEvent as LoopTrainEvent } from '../../training/train/trainTypes.ts';
import type { QueryMetrics } from '../../training/eval/metrics.ts';
import type { Progress } from './progress.ts';
import type { ModelSpec } from './modelSpec.ts';
import type { ClipRow } from '../../training/data/clipRows.ts';
import type { ClipPrepare, ResolvedImages } from './clipRequest.ts';

export interface UnsupervisedPrepare {
  mode: 'unsupervised';
  /** 'offline': rule-based queries from product attributes; 'imported': LabData.queries */
  querySource: 'offline' | 'imported';
  /** offline queries per product; default 1 */
  perProduct?: number;
  /** only the first N documents generate queries (all documents stay searchable); default all */
  maxProducts?: number;
  /** GPL with this cross-encoder (MarginMSE rows); without it, GenQ rows for MNRL */
  crossEncoder?: Exclude<ModelSpec, { kind: 'scratch' | 'scratch-clip' }>;
  /** GenQ: mine hard negatives with the base model (its top k, one drawn per query); default true */
  mineNegatives?: boolean;
  /**
   * GenQ: the hard negative by mine_hard_negatives' semantics instead (source, rank range, margins against
   * the query's own product; the first 30 candidates unless rangeMax says otherwise); a query whose candidates all fail the filters gives no row
   */
  negatives?: Pick<
    HardNegativeOptions,
    'source' | 'rangeMin' | 'rangeMax' | 'maxScore' | 'minScore' | 'absoluteMargin' | 'relativeMargin' | 'sampling'
  >;
  /** mined candidates per query; default 50 (GPL) / 10 (GenQ) */
  k?: number;
  /** GPL negatives per query; default 1 */
  negativesPerQuery?: number;
  seed?: number;
}

export interface SupervisedPrepare {
  mode: 'supervised';
  /** rating at or above which a judged product is a positive; default 2 */
  threshold?: number;
  /** mined hard negatives per pair (0 = plain pairs); default 1 */
  hardNegatives?: number;
  /** first mined rank used as a negative (skip near-duplicates); default 3 */
  rankFrom?: number;
  /** where negatives come from and which are filtered as probable false negatives (mine_hard_negatives' options) */
  negatives?: Pick<HardNegativeOptions, 'source' | 'rangeMax' | 'maxScore' | 'minScore' | 'absoluteMargin' | 'relativeMargin' | 'sampling'>;
  /** fraction of queries held out for validation; default 0.2 */
  validation?: number;
  seed?: number;
}

export type PrepareRequest = UnsupervisedPrepare | SupervisedPrepare | ClipPrepare;

export interface PreparedData {
  rows: TrainRow[];
  /** the loss these rows are for */
  loss: 'mnrl' | 'margin-mse';
  /** supervised: the held-out queries (evaluate with `queries: validationQueries`) */
  validationQueries?: string[];
  trainQueries?: string[];
  /** unsupervised: the generated/imported queries used */
  queries?: number;
  stats: Record<string, number>;
  /** mined hard negatives (supervised, GenQ with `negatives`): what was kept and filtered, with example queries for the review panel */
  mining?: { stats: MiningStats; examples: MiningExample[] };
  warnings: string[];
}

// ---------------------------------------------------------------- train

/** Hyperparameters: any TrainConfig field; defaults are the kata's (train/trainConfig.ts). */
export type TrainSettings = Partial<TrainConfig> & { loss: 'mnrl' | 'cached-mnrl' | 'margin-mse' | 'clip' };

export interface TrainRequest {
  /** the base model (stored with the run; Resume reloads it) */
  model: ModelSpec;
  rows: TrainRow[] | ClipRow[];
  config: TrainSettings;
  /** CLIP (loss 'clip'): the images of the rows' products, stored with the run so Resume needs no image check */
  images?: ResolvedImages;
  /** a checkpoint every N steps (IndexedDB); default 50; 0 = only on pause */
  checkpointEverySteps?: number;
  /** evaluate on the judgments every N steps (needs judgments in setData); default 0 */
  evalEverySteps?: number;
  /** queries the periodic evaluation uses (e.g. the supervised validation split); default all judged */
  evalQueries?: string[];
}

/** Same events as the core training loop (step, eval, checkpoint, done, stopped), plus a resume notice. */
export type TrainEvent = LoopTrainEvent | { type: 'resumed'; step: number; totalSteps: number } | { type: 'progress'; progress: Progress };

export interface TrainOutcome {
  /** 'paused': aborted after saving a checkpoint (Resume continues); 'nan': stopped, last good checkpoint kept */
  status: 'done' | 'paused' | 'nan';
  step: number;
  totalSteps: number;
  /** the step the run resumed from (0 for a fresh run) */
  resumedFrom: number;
  losses: number[];
  elapsedMs: number;
  message?: string;
  /** the best periodic evaluation (with loadBestModelAtEnd the weights are its), and whether patience ran out */
  best?: { step: number; metric: string; value: number };
  earlyStopped?: boolean;
}

// ---------------------------------------------------------------- evaluate / search / export

/**
 * What ranks the products: a model slot's cosine top-k, BM25 over the same product texts, or (a slot with
 * `hybrid`) that model fused with BM25.
 */
export type Ranker = 'baseline' | 'tuned' | 'bm25';

/** Reciprocal-rank fusion (k 60) or normalized BM25 + weight · cosine (Chorus' "boost by vector" shape). */
export interface HybridChoice {
  fusion: 'rrf' | 'mix';
  /** mix: the cosine's weight; default 1 */
  weight?: number;
}

export interface EvaluateRequest {
  which: Ranker;
  /** with a model slot: that model fused with BM25 */
  hybrid?: HybridChoice;
  /** only these judged queries (validation split); default all */
  queries?: string[];
  k?: number;
  relevanceThreshold?: number;
}

export interface EvaluationResult {
  which: Ranker;
  hybrid?: HybridChoice;
  /** ndcg@10, mrr@10, recall@10, recall@100, map@100 */
  metrics: Record<string, number>;
  queries: QueryMetrics[];
  warnings: string[];
}

export interface SearchHit {
  rank: number;
  id: string;
  score: number;
  text: string;
  /** product fields useful to show: title, img_thumb, img_500x500, supplier… (strings only) */
  fields: Record<string, string>;
  /** judgment rating for (query, id) when judged */
  rating?: number;
}
