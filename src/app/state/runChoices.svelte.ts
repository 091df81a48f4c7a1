/**
 * What the text and CLIP Configure states share: the base-model pick (curated, any Hub id, a local folder,
 * or random weights), the hyper-parameters both loops take, and the estimate's state. The subclasses add
 * their data mode, their scratch shape and how they estimate; the defaults differ (sentence-transformers'
 * fit vs the kata's CLIP preset), so they come in through the constructor.
 */
import type { Estimate, ModelSpec, TrainSettings } from '../../lab/api/labApi.ts';
import { errorMessage } from '../lib/format.ts';

export type ModelChoice = 'curated' | 'custom' | 'files' | 'scratch';

/** The folder name of a directory pick (webkitRelativePath's first segment). */
export function folderName(files: readonly File[]): string {
  const rel = (files[0] as (File & { webkitRelativePath?: string }) | undefined)?.webkitRelativePath ?? '';
  return rel.split('/')[0] || files[0]?.name || 'local folder';
}

export interface RunDefaults {
  curatedId: string;
  epochs: number;
  batchSize: number;
  warmupRatio: number;
  weightDecay: number;
  seed: number;
  /** the learning rate for pretrained weights, and the larger one random weights need */
  lr: { pretrained: number; scratch: number };
}

export abstract class RunChoices {
  modelChoice = $state<ModelChoice>('curated');
  curatedId = $state('');
  customId = $state('');
  modelFiles = $state<File[]>([]);

  epochs = $state(1);
  /** optimizer steps instead of epochs; null = use epochs */
  steps = $state<number | null>(null);
  batchSize = $state(2);
  lr = $state(0);
  warmupRatio = $state(0);
  weightDecay = $state(0);
  seed = $state(0);
  checkpointEvery = $state(50);

  estimate = $state<Estimate | null>(null);
  estimateError = $state<string | null>(null);
  estimating = $state(false);

  constructor(private readonly hubEndpoint: () => string, protected readonly defaults: RunDefaults) {
    Object.assign(this, { curatedId: defaults.curatedId, epochs: defaults.epochs, batchSize: defaults.batchSize, lr: defaults.lr.pretrained, warmupRatio: defaults.warmupRatio, weightDecay: defaults.weightDecay, seed: defaults.seed });
  }

  /** how the model from scratch is named in the run list */
  protected abstract scratchLabel(): string;

  modelLabel = $derived(
    this.modelChoice === 'curated' ? this.curatedId
    : this.modelChoice === 'custom' ? this.customId.trim() || '(no id yet)'
    : this.modelChoice === 'files' ? folderName(this.modelFiles)
    : this.scratchLabel(),
  );

  /** Switching between pretrained and random weights swaps the learning-rate default unless the user changed it. */
  chooseModel(choice: ModelChoice): void {
    const wasScratch = this.modelChoice === 'scratch';
    const { pretrained, scratch } = this.defaults.lr;
    this.modelChoice = choice;
    if (choice === 'scratch' && !wasScratch && this.lr === pretrained) this.lr = scratch;
    if (choice !== 'scratch' && wasScratch && this.lr === scratch) this.lr = pretrained;
    this.estimate = null;
    this.estimateError = null;
  }

  /** The picked base model when it is not built from scratch (the subclass knows its scratch spec). */
  protected pickedSpec(): Exclude<ModelSpec, { kind: 'scratch' | 'scratch-clip' }> {
    if (this.modelChoice === 'files') return { kind: 'files', files: [...this.modelFiles], id: folderName(this.modelFiles) };
    return { kind: 'hub', id: this.modelChoice === 'curated' ? this.curatedId : this.customId.trim(), endpoint: this.hubEndpoint() };
  }

  /** The hyper-parameters both losses take, in the order the model card lists them. */
  protected hyperSettings(): Pick<TrainSettings, 'epochs' | 'steps' | 'batchSize' | 'lr' | 'warmupRatio' | 'weightDecay'> {
    return { epochs: this.epochs, ...(this.steps !== null && { steps: this.steps }), batchSize: this.batchSize, lr: this.lr, warmupRatio: this.warmupRatio, weightDecay: this.weightDecay };
  }

  /** What is wrong with the model pick: a malformed Hub id, a folder without config.json. */
  protected modelProblems(): string[] {
    const out: string[] = [];
    if (this.modelChoice === 'custom' && !/^[\w.-]+(\/[\w.-]+)?$/.test(this.customId.trim())) out.push('Enter a Hub model id such as owner/name.');
    if (this.modelChoice === 'files' && !this.modelFiles.some((f) => f.name === 'config.json')) out.push('The chosen folder has no config.json.');
    return out;
  }

  /** What is wrong with the hyper-parameters; `negatives` says where a batch's negatives come from. */
  protected hyperProblems(negatives: string): string[] {
    const out: string[] = [];
    if (!(this.batchSize >= 2)) out.push(`Batch size must be at least 2 (${negatives}).`);
    if (!(this.lr > 0)) out.push('The learning rate must be positive.');
    if (this.steps !== null && !(this.steps >= 1)) out.push('Steps must be at least 1.');
    return out;
  }

  /** Runs an estimate, keeping `estimating` and the error in step with it. */
  protected async runEstimate(estimate: () => Promise<Estimate>): Promise<void> {
    this.estimating = true;
    this.estimateError = null;
    try {
      this.estimate = await estimate();
    } catch (e) {
      this.estimate = null;
      this.estimateError = errorMessage(e);
    } finally {
      this.estimating = false;
    }
  }
}
