/**
 * Step 2: mode, base model, cross-encoder and query source, hyperparameters (the kata's defaults from
 * train/trainConfig.ts) and the time/memory estimate on the workers' backend.
 */
import { defaultTrainConfig } from '../../training/train/trainConfig.ts';
import type { DataSummary, LabClient, ModelShape, ModelSpec, PrepareRequest, TrainSettings } from '../../lab/api/labApi.ts';
import { RunChoices, folderName } from './runChoices.svelte.ts';
import { curatedModels, defaultCrossEncoder, pretrainedLr, scratchDefaults, scratchLr, scratchShape } from '../lib/models.ts';
import type { RunPlan } from '../lib/runRepository.ts';

export type Mode = 'unsupervised' | 'supervised';
export type { ModelChoice } from './runChoices.svelte.ts';
export { folderName } from './runChoices.svelte.ts';
export type TeacherChoice = 'none' | 'hub' | 'files';

export interface ConfigDeps {
  client: LabClient;
  hubEndpoint: () => string;
}

export class ConfigState extends RunChoices {
  mode = $state<Mode>('unsupervised');
  querySource = $state<'offline' | 'imported'>('offline');
  perProduct = $state(1);
  /** only the first N documents generate queries; null = all */
  maxProducts = $state<number | null>(null);
  teacher = $state<TeacherChoice>('none');
  crossEncoderId = $state(defaultCrossEncoder);
  crossEncoderFiles = $state<File[]>([]);

  scratch = $state({ ...scratchDefaults });
  maxGradNorm = $state(defaultTrainConfig.maxGradNorm);
  /** evaluate on the judgments every N steps during training; 0 = only before and after */
  evalEvery = $state(0);

  threshold = $state(2);
  hardNegatives = $state(1);
  validation = $state(0.2);

  readonly deps: ConfigDeps;

  constructor(deps: ConfigDeps) {
    super(deps.hubEndpoint, {
      curatedId: curatedModels[0]!.id, epochs: defaultTrainConfig.epochs, batchSize: defaultTrainConfig.batchSize, warmupRatio: 0.1,
      weightDecay: defaultTrainConfig.weightDecay, seed: defaultTrainConfig.seed, lr: { pretrained: pretrainedLr, scratch: scratchLr },
    });
    this.deps = deps;
  }

  protected scratchLabel(): string {
    return `from scratch (${this.scratch.hidden}×${this.scratch.layers})`;
  }

  modelSpec(): ModelSpec {
    return this.modelChoice === 'scratch' ? { kind: 'scratch', ...scratchShape(this.scratch), seed: this.seed } : this.pickedSpec();
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
      ...this.hyperSettings(),
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
    out.push(...this.modelProblems());
    if (this.mode === 'unsupervised' && this.teacher === 'hub' && !this.crossEncoderId.trim()) out.push('Enter the cross-encoder\'s Hub id.');
    if (this.mode === 'unsupervised' && this.teacher === 'files' && !this.crossEncoderFiles.length) out.push('Choose the cross-encoder\'s folder.');
    out.push(...this.hyperProblems('in-batch negatives'));
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
    await this.runEstimate(async () => this.deps.client.estimate({
      model: await this.modelShape(),
      batchSize: this.batchSize,
      rows: this.expectedRows(data),
      epochs: this.epochs,
      ...(this.steps !== null && { steps: this.steps }),
      textsPerRow: this.mode === 'unsupervised' && this.teacher === 'none' ? 2 : 3,
    }));
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
