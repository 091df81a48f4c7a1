/**
 * Step 2: what to fine-tune (text embeddings or CLIP), the base model, the hyper-parameters and the
 * time/memory estimate on the workers' backend. The model pick, the hyper-parameters and the estimate are
 * shared (RunChoices); what only one family asks for lives in its part (textConfigPart, clipConfigPart),
 * selected by `family`. Each family keeps its own shared choices too: switching to CLIP and back restores
 * the text model and learning rate that were picked.
 */
import type { DataSummary, FamilyShape, ImageSource, ImageSummary, LabClient, ModelSpec, TrainSettings } from '../../lab/api/labApi.ts';
import type { RunPlan } from '../lib/runRepository.ts';
import { RunChoices, defaultChoices, type RunChoiceValues, type RunDefaults } from './runChoices.svelte.ts';
import type { ConfigPart, Family } from './configPart.ts';
import { TextConfigPart } from './textConfigPart.svelte.ts';
import { ClipConfigPart } from './clipConfigPart.svelte.ts';
import type { SpeedCalibration } from './speedCalibration.svelte.ts';

export type { Family } from './configPart.ts';
export type { Mode, TeacherChoice } from './textConfigPart.svelte.ts';
export type { ClipMode, TowerLock } from './clipConfigPart.svelte.ts';
export type { ModelChoice } from './runChoices.svelte.ts';
export { folderName } from './runChoices.svelte.ts';

export type ConfigClient = Pick<LabClient, 'estimate' | 'inspectModel'>;

export interface ConfigDeps {
  client: ConfigClient;
  hubEndpoint: () => string;
  /** this device's measured speeds; without one the estimate uses the backend's rough rate */
  speed?: SpeedCalibration;
}

export class ConfigState extends RunChoices {
  #family = $state<Family>('text');
  readonly text: TextConfigPart;
  readonly clip: ClipConfigPart;
  readonly deps: ConfigDeps;
  /** the shared choices of the family not shown */
  #kept = new Map<Family, RunChoiceValues>();

  constructor(deps: ConfigDeps) {
    super(deps.hubEndpoint);
    this.deps = deps;
    this.text = new TextConfigPart(deps.hubEndpoint);
    this.clip = new ClipConfigPart();
    this.restoreChoices(defaultChoices(this.text.defaults));
  }

  get family(): Family {
    return this.#family;
  }

  /** the part of the family picked */
  get part(): ConfigPart {
    return this.#family === 'clip' ? this.clip : this.text;
  }

  chooseFamily(family: Family): void {
    if (family === this.#family) return;
    this.#kept.set(this.#family, this.choiceValues());
    this.#family = family;
    this.restoreChoices(this.#kept.get(family) ?? defaultChoices(this.part.defaults));
  }

  /**
   * The README's offline recipe from random weights (GenQ pairs, MNRL at batch 64, lr 5·10⁻⁴, one epoch,
   * 10% warmup): the lab's "from scratch" preset.
   */
  applyScratchRecipe(): void {
    this.chooseFamily('text');
    this.chooseModel('scratch');
    this.text.applyScratchRecipe();
    Object.assign(this, { batchSize: 64, lr: this.text.defaults.lr.scratch, epochs: 1, steps: null, warmupRatio: 0.1 });
  }

  protected runDefaults(): RunDefaults {
    return this.part.defaults;
  }

  protected scratchLabel(): string {
    return this.part.scratchLabel();
  }

  modelSpec(): ModelSpec {
    return this.modelChoice === 'scratch' ? this.part.scratchSpec(this.seed) : this.pickedSpec();
  }

  trainSettings(): TrainSettings {
    return this.part.trainSettings(this.hyperSettings(), this.seed, this.estimate);
  }

  /** What stops a run from starting with this configuration and data; empty when it can start. */
  problems(data: DataSummary | null, images: ImageSummary | null = null): string[] {
    const p = this.part;
    return [
      ...(data ? [] : ['Load data first (step 1).']),
      ...p.dataProblems(data, images),
      ...this.modelProblems(),
      ...p.modelProblems(),
      ...this.hyperProblems(p.negatives),
      ...p.settingProblems(),
      ...(this.estimate && !this.estimate.fits ? [`This model does not fit: ${this.estimate.reason}`] : []),
    ];
  }

  expectedRows(data: DataSummary | null, images: ImageSummary | null = null): number {
    return this.part.expectedRows(data, images);
  }

  /** Model shape without downloading weights: known for curated and scratch models, config.json otherwise. */
  async modelShape(): Promise<FamilyShape> {
    const p = this.part;
    if (this.modelChoice === 'curated') {
      const known = p.curatedShape(this.curatedId);
      if (known) return known;
    }
    if (this.modelChoice === 'scratch') return p.scratchShape();
    const shape = await this.deps.client.inspectModel(this.modelSpec());
    p.checkShape(shape);
    return shape;
  }

  async refreshEstimate(data: DataSummary | null, images: ImageSummary | null = null): Promise<void> {
    const p = this.part;
    await this.runEstimate(async () => {
      const model = await this.modelShape();
      const rate = this.deps.speed?.rateFor(model);
      return this.deps.client.estimate({
        model,
        ...(rate && { flopsPerSecond: rate }),
        batchSize: this.batchSize,
        rows: p.expectedRows(data, images),
        epochs: this.epochs,
        ...(this.steps !== null && { steps: this.steps }),
        ...p.estimateOptions(),
      });
    });
  }

  /** Times one training step of this model's shape on the device, then estimates again with the measured speed. */
  async measureSpeed(data: DataSummary | null, images: ImageSummary | null = null): Promise<void> {
    if (!this.deps.speed) return;
    const { textsPerRow } = this.part.estimateOptions();
    // the calibration times a plain step: GradCache's extra forward is in the estimate's FLOP count
    if (await this.deps.speed.measure(await this.modelShape(), { textsPerRow })) await this.refreshEstimate(data, images);
  }

  /** The run to start; CLIP runs name their product images (Resume checks them again). */
  plan(hasJudgments: boolean, images?: ImageSource): RunPlan {
    const p = this.part;
    return {
      name: `${p.runName()} · ${this.modelLabel}`,
      model: this.modelSpec(),
      prepare: p.prepareRequest(this.seed),
      train: { config: this.trainSettings(), checkpointEverySteps: this.checkpointEvery, ...p.trainExtras(hasJudgments) },
      evaluate: hasJudgments,
      ...(this.#family === 'clip' && images && { images }),
    };
  }
}
