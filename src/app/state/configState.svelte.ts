/**
 * Step 2: mode, base model, cross-encoder and query source, hyperparameters (the kata's defaults from
 * train/trainConfig.ts) and the time/memory estimate on the workers' backend.
 */
import { defaultTrainConfig } from '../../training/train/trainConfig.ts';
import type { DataSummary, Estimate, LabClient, ModelShape, ModelSpec, PrepareRequest, TrainSettings } from '../../workers/labApi.ts';
import { errorMessage } from '../lib/format.ts';
import { curatedModels, defaultCrossEncoder, pretrainedLr, scratchDefaults, scratchLr, scratchShape } from '../lib/models.ts';
import type { RunPlan } from '../lib/runRepository.ts';

export type Mode = 'unsupervised' | 'supervised';
export type ModelChoice = 'curated' | 'custom' | 'files' | 'scratch';
export type TeacherChoice = 'none' | 'hub' | 'files';

export interface ConfigDeps {
  client: LabClient;
  hubEndpoint: () => string;
}

/** The folder name of a directory pick (webkitRelativePath's first segment). */
export function folderName(files: readonly File[]): string {
  const rel = (files[0] as (File & { webkitRelativePath?: string }) | undefined)?.webkitRelativePath ?? '';
  return rel.split('/')[0] || files[0]?.name || 'local folder';
}

export class ConfigState {
  mode = $state<Mode>('unsupervised');
  querySource = $state<'offline' | 'imported'>('offline');
  perProduct = $state(1);
  /** only the first N documents generate queries; null = all */
  maxProducts = $state<number | null>(null);
  teacher = $state<TeacherChoice>('none');
  crossEncoderId = $state(defaultCrossEncoder);
  crossEncoderFiles = $state<File[]>([]);

  modelChoice = $state<ModelChoice>('curated');
  curatedId = $state(curatedModels[0]!.id);
  customId = $state('');
  modelFiles = $state<File[]>([]);
  scratch = $state({ ...scratchDefaults });

  epochs = $state(defaultTrainConfig.epochs);
  /** optimizer steps instead of epochs; null = use epochs */
  steps = $state<number | null>(null);
  batchSize = $state(defaultTrainConfig.batchSize);
  lr = $state(pretrainedLr);
  warmupRatio = $state(0.1);
  weightDecay = $state(defaultTrainConfig.weightDecay);
  maxGradNorm = $state(defaultTrainConfig.maxGradNorm);
  seed = $state(defaultTrainConfig.seed);
  checkpointEvery = $state(50);
  /** evaluate on the judgments every N steps during training; 0 = only before and after */
  evalEvery = $state(0);

  threshold = $state(2);
  hardNegatives = $state(1);
  validation = $state(0.2);

  estimate = $state<Estimate | null>(null);
  estimateError = $state<string | null>(null);
  estimating = $state(false);

  readonly deps: ConfigDeps;

  constructor(deps: ConfigDeps) {
    this.deps = deps;
  }

  modelLabel = $derived(
    this.modelChoice === 'curated' ? this.curatedId
    : this.modelChoice === 'custom' ? this.customId.trim() || '(no id yet)'
    : this.modelChoice === 'files' ? folderName(this.modelFiles)
    : `from scratch (${this.scratch.hidden}×${this.scratch.layers})`,
  );

  /** Switching between pretrained and random weights swaps the learning-rate default unless the user changed it. */
  chooseModel(choice: ModelChoice): void {
    const wasScratch = this.modelChoice === 'scratch';
    this.modelChoice = choice;
    if (choice === 'scratch' && !wasScratch && this.lr === pretrainedLr) this.lr = scratchLr;
    if (choice !== 'scratch' && wasScratch && this.lr === scratchLr) this.lr = pretrainedLr;
    this.estimate = null;
  }

  modelSpec(): ModelSpec {
    switch (this.modelChoice) {
      case 'curated':
        return { kind: 'hub', id: this.curatedId, endpoint: this.deps.hubEndpoint() };
      case 'custom':
        return { kind: 'hub', id: this.customId.trim(), endpoint: this.deps.hubEndpoint() };
      case 'files':
        return { kind: 'files', files: [...this.modelFiles], id: folderName(this.modelFiles) };
      case 'scratch':
        return { kind: 'scratch', ...scratchShape(this.scratch), seed: this.seed };
    }
  }

  crossEncoderSpec(): Exclude<ModelSpec, { kind: 'scratch' | 'scratch-clip' }> | undefined {
    if (this.teacher === 'hub') return { kind: 'hub', id: this.crossEncoderId.trim(), endpoint: this.deps.hubEndpoint() };
    if (this.teacher === 'files') return { kind: 'files', files: [...this.crossEncoderFiles], id: folderName(this.crossEncoderFiles) };
    return undefined;
  }

  prepareRequest(): PrepareRequest {
    if (this.mode === 'supervised') {
      return { mode: 'supervised', threshold: this.threshold, hardNegatives: this.hardNegatives, validation: this.validation, seed: this.seed };
    }
    const ce = this.crossEncoderSpec();
    return {
      mode: 'unsupervised',
      querySource: this.querySource,
      perProduct: this.perProduct,
      ...(this.maxProducts !== null && { maxProducts: this.maxProducts }),
      ...(ce && { crossEncoder: ce }),
      seed: this.seed,
    };
  }

  trainSettings(loss: TrainSettings['loss']): TrainSettings {
    return {
      loss,
      epochs: this.epochs,
      ...(this.steps !== null && { steps: this.steps }),
      batchSize: this.batchSize,
      lr: this.lr,
      warmupRatio: this.warmupRatio,
      weightDecay: this.weightDecay,
      maxGradNorm: this.maxGradNorm,
      seed: this.seed,
    };
  }

  /** What stops a run from starting with this configuration and data; empty when it can start. */
  problems(data: DataSummary | null): string[] {
    const out: string[] = [];
    if (!data) out.push('Load data first (step 1).');
    if (this.mode === 'supervised' && data && !data.judgments) out.push('Supervised training needs relevance judgments: load a judgments file in step 1.');
    if (this.mode === 'unsupervised' && this.querySource === 'imported' && data && !data.importedQueries) {
      out.push('"Imported queries" needs a queries file in step 1 (or choose generated queries).');
    }
    if (this.modelChoice === 'custom' && !/^[\w.-]+(\/[\w.-]+)?$/.test(this.customId.trim())) out.push('Enter a Hub model id such as owner/name.');
    if (this.modelChoice === 'files' && !this.modelFiles.some((f) => f.name === 'config.json')) out.push('The chosen folder has no config.json.');
    if (this.mode === 'unsupervised' && this.teacher === 'hub' && !this.crossEncoderId.trim()) out.push('Enter the cross-encoder\'s Hub id.');
    if (this.mode === 'unsupervised' && this.teacher === 'files' && !this.crossEncoderFiles.length) out.push('Choose the cross-encoder\'s folder.');
    if (!(this.batchSize >= 2)) out.push('Batch size must be at least 2 (in-batch negatives).');
    if (!(this.lr > 0)) out.push('The learning rate must be positive.');
    if (this.steps !== null && !(this.steps >= 1)) out.push('Steps must be at least 1.');
    if (!(Number.isInteger(this.evalEvery) && this.evalEvery >= 0)) out.push('"Evaluate every" must be a whole number of steps (0 = off).');
    if (this.estimate && !this.estimate.fits) out.push(`This model does not fit: ${this.estimate.reason}`);
    return out;
  }

  /** Rows the run will roughly have, for the estimate before the data is prepared. */
  expectedRows(data: DataSummary | null): number {
    if (!data) return 1;
    if (this.mode === 'supervised') return Math.max(1, Math.round(data.judgments * (1 - this.validation) * 0.5));
    const base = this.querySource === 'imported' ? data.importedQueries : Math.min(data.documents, this.maxProducts ?? Infinity) * this.perProduct;
    return Math.max(1, base);
  }

  /** Model shape without downloading weights: known for curated and scratch models, config.json otherwise. */
  async modelShape(): Promise<ModelShape> {
    if (this.modelChoice === 'curated') {
      const known = curatedModels.find((m) => m.id === this.curatedId);
      if (known) return known.shape;
    }
    if (this.modelChoice === 'scratch') return scratchShape(this.scratch);
    return this.deps.client.inspectModel(this.modelSpec());
  }

  async refreshEstimate(data: DataSummary | null): Promise<void> {
    this.estimating = true;
    this.estimateError = null;
    try {
      const model = await this.modelShape();
      this.estimate = await this.deps.client.estimate({
        model,
        batchSize: this.batchSize,
        rows: this.expectedRows(data),
        epochs: this.epochs,
        ...(this.steps !== null && { steps: this.steps }),
        textsPerRow: this.mode === 'unsupervised' && this.teacher === 'none' ? 2 : 3,
      });
    } catch (e) {
      this.estimate = null;
      this.estimateError = errorMessage(e);
    } finally {
      this.estimating = false;
    }
  }

  plan(hasJudgments: boolean): RunPlan {
    const loss: TrainSettings['loss'] = this.mode === 'unsupervised' && this.teacher !== 'none' ? 'margin-mse' : 'mnrl';
    const name = `${this.mode === 'supervised' ? 'Supervised' : loss === 'margin-mse' ? 'GPL' : 'GenQ'} · ${this.modelLabel}`;
    return {
      name,
      model: this.modelSpec(),
      prepare: this.prepareRequest(),
      train: {
        config: this.trainSettings(loss), checkpointEverySteps: this.checkpointEvery,
        ...(hasJudgments && this.evalEvery > 0 && { evalEverySteps: this.evalEvery }),
      },
      evaluate: hasJudgments,
    };
  }
}
