/**
 * What every model family's Configure shares: the base-model pick (curated, any Hub id, a local folder, or
 * random weights), the hyper-parameters every loop takes, and the estimate's state. ConfigState adds the
 * family; the defaults differ by family (sentence-transformers' fit vs the kata's CLIP preset), and each
 * family keeps its own values while the other is edited (`choiceValues` / `restoreChoices`).
 */
import type { Estimate, ModelSpec, TrainSettings } from '../../lab/api/labApi.ts';
import { errorMessage } from '../lib/format.ts';

export type ModelChoice = 'curated' | 'custom' | 'files' | 'scratch';

/** The hyper-parameters every loss takes (ConfigState's family part adds the rest of TrainSettings). */
export type HyperSettings = Pick<TrainSettings, 'epochs' | 'steps' | 'batchSize' | 'lr' | 'warmupRatio' | 'weightDecay'>;

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

/** What a family keeps while another is picked: every RunChoices field but `estimating`. */
const choiceKeys = [
  'modelChoice',
  'curatedId',
  'customId',
  'modelFiles',
  'epochs',
  'steps',
  'batchSize',
  'lr',
  'warmupRatio',
  'weightDecay',
  'seed',
  'checkpointEvery',
  'estimate',
  'estimateError',
] as const;
export type RunChoiceValues = Pick<RunChoices, (typeof choiceKeys)[number]>;

/** A family's starting choices. */
export function defaultChoices(d: RunDefaults): RunChoiceValues {
  return {
    modelChoice: 'curated',
    curatedId: d.curatedId,
    customId: '',
    modelFiles: [],
    epochs: d.epochs,
    steps: null,
    batchSize: d.batchSize,
    lr: d.lr.pretrained,
    warmupRatio: d.warmupRatio,
    weightDecay: d.weightDecay,
    seed: d.seed,
    checkpointEvery: 50,
    estimate: null,
    estimateError: null,
  };
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

  /** the latest estimate started; an older one (or one from before a family switch) must not land */
  #estimateRun = 0;

  constructor(private readonly hubEndpoint: () => string) {}

  /** the current family's defaults */
  protected abstract runDefaults(): RunDefaults;
  /** how the model from scratch is named in the run list */
  protected abstract scratchLabel(): string;

  protected choiceValues(): RunChoiceValues {
    return Object.fromEntries(choiceKeys.map((k) => [k, this[k]])) as RunChoiceValues;
  }

  protected restoreChoices(values: RunChoiceValues): void {
    Object.assign(this, values);
    this.#estimateRun++;
    this.estimating = false;
  }

  modelLabel = $derived(
    this.modelChoice === 'curated'
      ? this.curatedId
      : this.modelChoice === 'custom'
        ? this.customId.trim() || '(no id yet)'
        : this.modelChoice === 'files'
          ? folderName(this.modelFiles)
          : this.scratchLabel(),
  );

  /** Switching between pretrained and random weights swaps the learning-rate default unless the user changed it. */
  chooseModel(choice: ModelChoice): void {
    const wasScratch = this.modelChoice === 'scratch';
    const { pretrained, scratch } = this.runDefaults().lr;
    this.modelChoice = choice;
    if (choice === 'scratch' && !wasScratch && this.lr === pretrained) this.lr = scratch;
    if (choice !== 'scratch' && wasScratch && this.lr === scratch) this.lr = pretrained;
    this.estimate = null;
    this.estimateError = null;
  }

  /** The picked base model when it is not built from scratch (the family knows its scratch spec). */
  protected pickedSpec(): Exclude<ModelSpec, { kind: 'scratch' | 'scratch-clip' }> {
    if (this.modelChoice === 'files') return { kind: 'files', files: [...this.modelFiles], id: folderName(this.modelFiles) };
    return { kind: 'hub', id: this.modelChoice === 'curated' ? this.curatedId : this.customId.trim(), endpoint: this.hubEndpoint() };
  }

  /** Back to the family's preset (the kata's CLIP preset: AdamW, small lr, batch 8, wd 0.1, 10% warmup, cosine). */
  applyPreset(): void {
    const d = this.runDefaults();
    Object.assign(this, { batchSize: d.batchSize, weightDecay: d.weightDecay, warmupRatio: d.warmupRatio, epochs: d.epochs, steps: null });
    this.lr = this.modelChoice === 'scratch' ? d.lr.scratch : d.lr.pretrained;
  }

  /** The hyper-parameters every loss takes, in the order the model card lists them. */
  protected hyperSettings(): HyperSettings {
    return {
      epochs: this.epochs,
      ...(this.steps !== null && { steps: this.steps }),
      batchSize: this.batchSize,
      lr: this.lr,
      warmupRatio: this.warmupRatio,
      weightDecay: this.weightDecay,
    };
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
    const run = ++this.#estimateRun;
    this.estimating = true;
    this.estimateError = null;
    let result: Estimate | null = null;
    let error: string | null = null;
    try {
      result = await estimate();
    } catch (e) {
      error = errorMessage(e);
    }
    if (run !== this.#estimateRun) return;
    this.estimate = result;
    this.estimateError = error;
    this.estimating = false;
  }
}
