/**
 * Configure, CLIP half: what to fine-tune (text embeddings or CLIP), the CLIP mode (product text ↔ image, or
 * judged query ↔ relevant images), the base CLIP model, tower locks (open_clip's lock-text / lock-image with
 * the last N layers unlocked), the kata preset and the estimate/refusal for this device.
 */
import type { DataSummary, Estimate, ModelSpec, PrepareRequest, TrainSettings } from '../../lab/api/labApi.ts';
import type { ClipEstimateRequest, ClipPrepare, ClipShape, ImageSource, ImageSummary } from '../../lab/api/clipRequest.ts';
import { clipPreset, clipScratchDefaults, clipScratchLr, clipScratchShape, curatedClipModels } from '../lib/clipModels.ts';
import type { RunPlan } from '../lib/runRepository.ts';
import { RunChoices, type ModelChoice } from './runChoices.svelte.ts';

export type Family = 'text' | 'clip';
export type ClipMode = 'unsupervised' | 'supervised';
export type ClipModelChoice = ModelChoice;
export type TowerLock = 'none' | 'text' | 'image';

export interface ClipConfigClient {
  estimateClip(req: ClipEstimateRequest): Promise<Estimate>;
  inspectClip(spec: ModelSpec): Promise<ClipShape & { id: string }>;
}

export interface ClipConfigDeps {
  client: ClipConfigClient;
  hubEndpoint: () => string;
}

export class ClipConfigState extends RunChoices {
  family = $state<Family>('text');
  mode = $state<ClipMode>('unsupervised');
  template = $state('{title} {supplier} {attr_t_product_type}');
  maxProducts = $state<number | null>(null);
  threshold = $state(2);
  validation = $state(0.2);

  scratch = $state({ ...clipScratchDefaults });

  lock = $state<TowerLock>('none');
  /** with a locked tower: its last N encoder layers still train (0 = the whole tower is frozen) */
  unlockedLayers = $state(0);

  readonly deps: ClipConfigDeps;

  constructor(deps: ClipConfigDeps) {
    super(deps.hubEndpoint, {
      curatedId: curatedClipModels[0]!.id, epochs: clipPreset.epochs, batchSize: clipPreset.batchSize, warmupRatio: clipPreset.warmupRatio,
      weightDecay: clipPreset.weightDecay, seed: 42, lr: { pretrained: clipPreset.lr, scratch: clipScratchLr },
    });
    this.deps = deps;
  }

  protected scratchLabel(): string {
    return `tiny CLIP from scratch (${this.scratch.hidden}×${this.scratch.layers})`;
  }

  /** Back to the kata's CLIP preset (AdamW, small lr, batch 8, wd 0.1, 10% warmup, cosine). */
  applyPreset(): void {
    Object.assign(this, { batchSize: clipPreset.batchSize, weightDecay: clipPreset.weightDecay, warmupRatio: clipPreset.warmupRatio, epochs: clipPreset.epochs, steps: null });
    this.lr = this.modelChoice === 'scratch' ? clipScratchLr : clipPreset.lr;
  }

  modelSpec(): ModelSpec {
    return this.modelChoice === 'scratch' ? { kind: 'scratch-clip', ...this.scratch, seed: this.seed } : this.pickedSpec();
  }

  prepareRequest(): ClipPrepare {
    return this.mode === 'supervised'
      ? { mode: 'clip-supervised', threshold: this.threshold, validation: this.validation, seed: this.seed }
      : { mode: 'clip-unsupervised', template: this.template, ...(this.maxProducts !== null && { maxProducts: this.maxProducts }), seed: this.seed };
  }

  locks(): Pick<TrainSettings, 'lockText' | 'lockImage' | 'unlockedTextLayers' | 'unlockedImageLayers'> {
    if (this.lock === 'text') return { lockText: true, ...(this.unlockedLayers > 0 && { unlockedTextLayers: this.unlockedLayers }) };
    if (this.lock === 'image') return { lockImage: true, ...(this.unlockedLayers > 0 && { unlockedImageLayers: this.unlockedLayers }) };
    return {};
  }

  trainSettings(): TrainSettings {
    return {
      loss: 'clip', ...this.hyperSettings(), scheduler: clipPreset.scheduler, maxGradNorm: clipPreset.maxGradNorm, seed: this.seed,
      ...this.locks(),
    };
  }

  /** Rows the run will roughly have, for the estimate before rows exist. */
  expectedRows(data: DataSummary | null, images: ImageSummary | null): number {
    if (this.mode === 'supervised') return Math.max(1, Math.round((data?.judgments ?? 1) * (1 - this.validation) * 0.5));
    return Math.max(1, Math.min(images?.ok ?? data?.documents ?? 1, this.maxProducts ?? Infinity));
  }

  /** What stops a CLIP run from starting; empty when it can start. */
  problems(data: DataSummary | null, images: ImageSummary | null): string[] {
    const out: string[] = [];
    if (!data) out.push('Load data first (step 1).');
    if (!images?.ok) out.push('CLIP needs product images: choose an image source in step 1 and check the images.');
    if (this.mode === 'supervised' && data && !data.judgments) out.push('Supervised CLIP needs relevance judgments: load a judgments file in step 1.');
    out.push(...this.modelProblems(), ...this.hyperProblems('the other images of a batch are the negatives'));
    if (!(Number.isInteger(this.unlockedLayers) && this.unlockedLayers >= 0)) out.push('Unlocked layers must be 0 or more.');
    if (this.estimate && !this.estimate.fits) out.push(`This model does not fit: ${this.estimate.reason}`);
    return out;
  }

  async modelShape(): Promise<ClipShape> {
    if (this.modelChoice === 'curated') {
      const known = curatedClipModels.find((m) => m.id === this.curatedId)?.shape;
      if (known) return known;
    }
    if (this.modelChoice === 'scratch') return clipScratchShape(this.scratch);
    return this.deps.client.inspectClip(this.modelSpec());
  }

  async refreshEstimate(data: DataSummary | null, images: ImageSummary | null): Promise<void> {
    await this.runEstimate(async () => this.deps.client.estimateClip({
      model: await this.modelShape(), batchSize: this.batchSize, rows: this.expectedRows(data, images), epochs: this.epochs, ...(this.steps !== null && { steps: this.steps }),
      lockText: this.lock === 'text' && this.unlockedLayers === 0, lockImage: this.lock === 'image' && this.unlockedLayers === 0,
    }));
  }

  plan(hasJudgments: boolean, images: ImageSource): RunPlan {
    return {
      name: `CLIP ${this.mode === 'supervised' ? 'supervised' : 'unsupervised'} · ${this.modelLabel}`,
      model: this.modelSpec(),
      prepare: this.prepareRequest() as PrepareRequest,
      train: { config: this.trainSettings(), checkpointEverySteps: this.checkpointEvery },
      evaluate: hasJudgments,
      images,
    };
  }
}
