/**
 * The family-specific half of Configure. ConfigState keeps what every family shares (the model pick, the
 * hyper-parameters, the estimate) and holds one part per family: what that family asks for beyond them (the
 * text family's queries and teacher, CLIP's caption template and tower locks) and what it adds to the
 * estimate, the problems that block a run, and the run plan.
 */
import type {
  DataSummary,
  Estimate,
  EstimateRequest,
  FamilyShape,
  ImageSummary,
  ModelSpec,
  PrepareRequest,
  TrainSettings,
} from '../../lab/api/labApi.ts';
import type { HyperSettings, RunDefaults } from './runChoices.svelte.ts';

export type Family = 'text' | 'clip';

/** What inspectModel reads from config.json. */
export type InspectedShape = FamilyShape & { id: string; family: string; modelType: string };

export interface ConfigPart {
  readonly defaults: RunDefaults;
  /** where a batch's negatives come from (the batch-size problem says so) */
  readonly negatives: string;
  /** how the model from scratch is named in the run list */
  scratchLabel(): string;
  scratchSpec(seed: number): ModelSpec;
  /** a curated model's shape when it is certain (otherwise config.json is read) */
  curatedShape(id: string): FamilyShape | undefined;
  scratchShape(): FamilyShape;
  /** throws when config.json names a model of another family */
  checkShape(shape: InspectedShape): void;
  estimateOptions(): Pick<EstimateRequest, 'textsPerRow' | 'lockText' | 'lockImage' | 'gradCache'>;
  /** rows the run will roughly have, for the estimate before the data is prepared */
  expectedRows(data: DataSummary | null, images: ImageSummary | null): number;
  /** what the loaded data (and images) lack for this part's mode */
  dataProblems(data: DataSummary | null, images: ImageSummary | null): string[];
  /** what is wrong with the part's own models (the text part's cross-encoder) */
  modelProblems(): string[];
  /** what is wrong with the part's own settings */
  settingProblems(): string[];
  prepareRequest(seed: number): PrepareRequest;
  /** `estimate`: the current estimate (GradCache takes its mini-batch from it) */
  trainSettings(hyper: HyperSettings, seed: number, estimate?: Estimate | null): TrainSettings;
  /** the run's name before " · <model>" */
  runName(): string;
  /** what the plan's train request adds to the settings and checkpoint interval */
  trainExtras(hasJudgments: boolean): { evalEverySteps?: number };
}
