/**
 * Configure for CLIP: the pairs (product text ↔ its image, or judged query ↔ relevant images), tower locks
 * (open_clip's lock-text / lock-image with the last N layers unlocked), the tiny scratch CLIP and the kata's
 * CLIP preset.
 */
import type { DataSummary, Estimate, ImageSummary, ModelSpec, PrepareRequest, TrainSettings } from '../../lab/api/labApi.ts';
import { clipPreset, clipScratchDefaults, clipScratchLr, clipScratchShape, curatedClipModels } from '../lib/clipModels.ts';
import type { HyperSettings, RunDefaults } from './runChoices.svelte.ts';
import type { ConfigPart, InspectedShape } from './configPart.ts';

export type ClipMode = 'unsupervised' | 'supervised';
export type TowerLock = 'none' | 'text' | 'image';

export class ClipConfigPart implements ConfigPart {
  /** the no-duplicates batch sampler: a product's caption or image at most once per batch */
  noDuplicates = $state(false);
  /**
   * GradCache for the CLIP loss: both towers embed the batch in mini-batches (the largest the device estimate
   * fits), so a batch of hundreds of pairs fits in the memory of a small one
   */
  gradCache = $state(false);
  mode = $state<ClipMode>('unsupervised');
  template = $state('{title} {supplier} {attr_t_product_type}');
  maxProducts = $state<number | null>(null);
  threshold = $state(2);
  validation = $state(0.2);

  scratch = $state({ ...clipScratchDefaults });

  lock = $state<TowerLock>('none');
  /** with a locked tower: its last N encoder layers still train (0 = the whole tower is frozen) */
  unlockedLayers = $state(0);

  readonly defaults: RunDefaults = {
    curatedId: curatedClipModels[0]!.id,
    epochs: clipPreset.epochs,
    batchSize: clipPreset.batchSize,
    warmupRatio: clipPreset.warmupRatio,
    weightDecay: clipPreset.weightDecay,
    seed: 42,
    lr: { pretrained: clipPreset.lr, scratch: clipScratchLr },
  };
  readonly negatives = 'the other images of a batch are the negatives';

  scratchLabel(): string {
    return `tiny CLIP from scratch (${this.scratch.hidden}×${this.scratch.layers})`;
  }

  scratchSpec(seed: number): ModelSpec {
    return { kind: 'scratch-clip', ...this.scratch, seed };
  }

  curatedShape(id: string) {
    return curatedClipModels.find((m) => m.id === id)?.shape;
  }

  scratchShape() {
    return clipScratchShape(this.scratch);
  }

  checkShape(shape: InspectedShape): void {
    if (!('vision' in shape)) {
      throw new Error(
        `${shape.id}/config.json: model_type is "${shape.modelType || 'missing'}", not "clip": CLIP mode needs a CLIP model (e.g. openai/clip-vit-base-patch32)`,
      );
    }
  }

  /** a tower locked whole keeps no gradients or AdamW state */
  estimateOptions() {
    return {
      lockText: this.lock === 'text' && this.unlockedLayers === 0,
      lockImage: this.lock === 'image' && this.unlockedLayers === 0,
      ...(this.gradCache && { gradCache: true }),
    };
  }

  prepareRequest(seed: number): PrepareRequest {
    return this.mode === 'supervised'
      ? { mode: 'clip-supervised', threshold: this.threshold, validation: this.validation, seed }
      : { mode: 'clip-unsupervised', template: this.template, ...(this.maxProducts !== null && { maxProducts: this.maxProducts }), seed };
  }

  locks(): Pick<TrainSettings, 'lockText' | 'lockImage' | 'unlockedTextLayers' | 'unlockedImageLayers'> {
    if (this.lock === 'text') return { lockText: true, ...(this.unlockedLayers > 0 && { unlockedTextLayers: this.unlockedLayers }) };
    if (this.lock === 'image') return { lockImage: true, ...(this.unlockedLayers > 0 && { unlockedImageLayers: this.unlockedLayers }) };
    return {};
  }

  trainSettings(hyper: HyperSettings, seed: number, estimate?: Estimate | null): TrainSettings {
    const base = { ...hyper, scheduler: clipPreset.scheduler, maxGradNorm: clipPreset.maxGradNorm, seed, ...this.locks() };
    const mini = this.gradCache && { miniBatchSize: estimate?.miniBatchSize ?? Math.min(16, hyper.batchSize ?? 16) };
    return { loss: 'clip', ...base, ...(this.noDuplicates && { noDuplicates: true }), ...mini };
  }

  runName(): string {
    return `CLIP ${this.mode === 'supervised' ? 'supervised' : 'unsupervised'}`;
  }

  trainExtras() {
    return {};
  }

  expectedRows(data: DataSummary | null, images: ImageSummary | null): number {
    if (this.mode === 'supervised') return Math.max(1, Math.round((data?.judgments ?? 1) * (1 - this.validation) * 0.5));
    return Math.max(1, Math.min(images?.ok ?? data?.documents ?? 1, this.maxProducts ?? Infinity));
  }

  dataProblems(data: DataSummary | null, images: ImageSummary | null): string[] {
    const out: string[] = [];
    if (!images?.ok) out.push('CLIP needs product images: choose an image source in step 1 and check the images.');
    if (this.mode === 'supervised' && data && !data.judgments)
      out.push('Supervised CLIP needs relevance judgments: load a judgments file in step 1.');
    return out;
  }

  modelProblems(): string[] {
    return [];
  }

  settingProblems(): string[] {
    return Number.isInteger(this.unlockedLayers) && this.unlockedLayers >= 0 ? [] : ['Unlocked layers must be 0 or more.'];
  }
}
