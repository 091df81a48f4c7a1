/**
 * What the run list needs from storage, as one small interface: the state classes depend on this, the
 * IndexedDB implementation (idbRunRepository.ts) adapts src/storage, and unit tests pass an in-memory fake.
 */
import type { ImageSource, ModelSpec, PrepareRequest, TrainRequest } from '../../lab/api/labApi.ts';

export type RunStatus = 'created' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

/** Where a run's data came from, so Resume after a reload can load it again. */
export type DataDescriptor =
  | { kind: 'bundled'; sliceOthers: number | null; template: string }
  | { kind: 'files'; corpus: File[]; queries?: File; judgments?: File; sliceOthers: number | null; template: string };

/** Everything needed to run (or resume) a run; stored as the run record's config (structured-cloneable). */
export interface RunPlan {
  name: string;
  model: ModelSpec;
  prepare: PrepareRequest;
  /** TrainRequest minus model and rows (known after prepare) */
  train: Omit<TrainRequest, 'model' | 'rows'>;
  /** evaluate on judgments before and after training */
  evaluate: boolean;
  /** CLIP runs: the product images (Resume checks them again before evaluating) */
  images?: ImageSource;
}

export interface StoredRun {
  version: 1;
  plan: RunPlan;
  data: DataDescriptor;
  request: TrainRequest;
  /** supervised: held-out queries used for evaluation */
  evalQueries?: string[];
  /** embedding width, for Chorus snippets in the run list */
  dim?: number;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  step?: number;
  totalSteps?: number;
  checkpointStep?: number;
  metricsBefore?: Record<string, number>;
  metricsAfter?: Record<string, number>;
  error?: string;
}

/** What a run reports to its summary while it runs; the checkpoint store sets checkpointStep. */
export type RunUpdate = Partial<Pick<RunSummary, 'status' | 'step' | 'totalSteps' | 'metricsBefore' | 'metricsAfter' | 'error'>>;

export interface StorageInfo {
  usage?: number;
  quota?: number;
  persisted?: boolean;
  summary: string;
}

export interface RunRepository {
  list(): Promise<RunSummary[]>;
  create(name: string, run: StoredRun): Promise<RunSummary>;
  get(id: string): Promise<{ summary: RunSummary; run: StoredRun } | undefined>;
  update(id: string, patch: RunUpdate): Promise<void>;
  remove(id: string): Promise<void>;
  /** one file holding the run, its events and its checkpoint */
  exportRun(id: string): Promise<{ blob: Blob; filename: string }>;
  importRun(file: File): Promise<RunSummary>;
  storage(): Promise<StorageInfo>;
}
