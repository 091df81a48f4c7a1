/**
 * Configure for text embeddings (sentence-transformers): unsupervised GenQ/GPL (query source, an optional
 * cross-encoder teacher) or supervised pairs from the judgments, the scratch BERT's size, and the kata's
 * defaults from train/trainConfig.ts.
 */
import { defaultTrainConfig } from '../../training/train/trainDefaults.ts';
import type { DataSummary, Estimate, ModelSpec, PrepareRequest, TrainSettings } from '../../lab/api/labApi.ts';
import { curatedModels, defaultCrossEncoder, pretrainedLr, scratchDefaults, scratchLr, scratchShape } from '../lib/models.ts';
import { folderName, type HyperSettings, type RunDefaults } from './runChoices.svelte.ts';
import type { ConfigPart, InspectedShape } from './configPart.ts';

export type Mode = 'unsupervised' | 'supervised';
export type TeacherChoice = 'none' | 'hub' | 'files';

export class TextConfigPart implements ConfigPart {
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
  /**
   * supervised runs (their periodic evaluation scores the held-out queries): end with the best evaluation's
   * weights, and stop after `patience` evaluations without improvement (0 = never)
   */
  keepBest = $state(false);
  patience = $state(0);

  /**
   * MNRL through GradCache (cached-mnrl): the batch is embedded in mini-batches, so a batch of hundreds fits
   * in the memory of a small one; the mini-batch is the largest the device estimate fits
   */
  gradCache = $state(false);
  /**
   * MatryoshkaLoss: the embedding prefix sizes the loss is summed over, e.g. "384,256,128,64" (empty = off),
   * so the Evaluate step's trade-off table can ship a smaller vector; checked by the training config
   */
  matryoshkaDims = $state('');
  /** sentence-transformers' NO_DUPLICATES batch sampler: no text twice in a batch */
  noDuplicates = $state(false);

  threshold = $state(2);
  hardNegatives = $state(1);
  /**
   * GenQ's hard negative: none (plain pairs, in-batch negatives only), one of the base model's top 10 at
   * random, or mined with mine_hard_negatives' source and filters below
   */
  genqNegative = $state<'none' | 'top-k' | 'mined'>('top-k');
  /** mined negatives (supervised, GenQ 'mined'): where they come from, and how far below the positive's score they must stay */
  negativesFrom = $state<'dense' | 'bm25' | 'both'>('dense');
  negativeMargin = $state<number | null>(null);
  negativeRelativeMargin = $state<number | null>(null);
  validation = $state(0.2);

  readonly defaults: RunDefaults = {
    curatedId: curatedModels[0]!.id,
    epochs: defaultTrainConfig.epochs,
    batchSize: defaultTrainConfig.batchSize,
    warmupRatio: 0.1,
    weightDecay: defaultTrainConfig.weightDecay,
    seed: defaultTrainConfig.seed,
    lr: { pretrained: pretrainedLr, scratch: scratchLr },
  };
  readonly negatives = 'in-batch negatives';

  constructor(private readonly hubEndpoint: () => string) {}

  scratchLabel(): string {
    return `from scratch (${this.scratch.hidden}×${this.scratch.layers})`;
  }

  scratchSpec(seed: number): ModelSpec {
    return { kind: 'scratch', ...scratchShape(this.scratch), seed };
  }

  curatedShape(id: string) {
    return curatedModels.find((m) => m.id === id)?.shape;
  }

  scratchShape() {
    return scratchShape(this.scratch);
  }

  checkShape(shape: InspectedShape): void {
    if ('vision' in shape)
      throw new Error(
        `${shape.id} is a CLIP model: choose "CLIP" under "What to fine-tune" to train it (text embeddings need a sentence-transformers model)`,
      );
  }

  /** MNRL batches take (query, positive) pairs, plus a hard negative when the teacher, the mining or the judgments give one. */
  estimateOptions() {
    const pairs = this.mode === 'unsupervised' ? this.teacher === 'none' && this.genqNegative === 'none' : this.hardNegatives === 0;
    return { textsPerRow: pairs ? 2 : 3, ...(this.usesGradCache() && { gradCache: true }) };
  }

  /** GradCache applies to MNRL (GenQ and supervised pairs), not to GPL's MarginMSE */
  usesGradCache(): boolean {
    return this.gradCache && this.loss() !== 'margin-mse';
  }

  crossEncoderSpec(): Exclude<ModelSpec, { kind: 'scratch' | 'scratch-clip' }> | undefined {
    if (this.teacher === 'hub') return { kind: 'hub', id: this.crossEncoderId.trim(), endpoint: this.hubEndpoint() };
    if (this.teacher === 'files') return { kind: 'files', files: [...this.crossEncoderFiles], id: folderName(this.crossEncoderFiles) };
    return undefined;
  }

  /** mine_hard_negatives' source and margin filters, as Configure sets them */
  miningOptions() {
    return {
      source: this.negativesFrom,
      ...(this.negativeMargin !== null && { absoluteMargin: this.negativeMargin }),
      ...(this.negativeRelativeMargin !== null && { relativeMargin: this.negativeRelativeMargin }),
    };
  }

  prepareRequest(seed: number): PrepareRequest {
    if (this.mode === 'supervised') {
      return {
        mode: 'supervised',
        threshold: this.threshold,
        hardNegatives: this.hardNegatives,
        validation: this.validation,
        seed,
        negatives: this.miningOptions(),
      };
    }
    const ce = this.crossEncoderSpec();
    const genq = ce
      ? {}
      : this.genqNegative === 'none'
        ? { mineNegatives: false }
        : this.genqNegative === 'mined'
          ? { negatives: this.miningOptions() }
          : {};
    return {
      mode: 'unsupervised',
      querySource: this.querySource,
      perProduct: this.perProduct,
      ...(this.maxProducts !== null && { maxProducts: this.maxProducts }),
      ...(ce && { crossEncoder: ce }),
      ...genq,
      seed,
    };
  }

  /**
   * The README's offline recipe (measured there: about 18 minutes on 2 CPU cores for the full catalogue):
   * GenQ from the offline generator, 3 queries per product, plain pairs, one epoch at batch 64. The caller
   * sets the model to random weights and the hyper-parameters (ConfigState.applyScratchRecipe).
   */
  applyScratchRecipe(): void {
    Object.assign(this, { mode: 'unsupervised', querySource: 'offline', perProduct: 3, maxProducts: null, teacher: 'none', genqNegative: 'none' });
    this.scratch = { ...scratchDefaults };
  }

  /** GPL's pseudo labels train with MarginMSE; GenQ and supervised pairs with MNRL. */
  loss(): 'mnrl' | 'margin-mse' {
    return this.mode === 'unsupervised' && this.teacher !== 'none' ? 'margin-mse' : 'mnrl';
  }

  trainSettings(hyper: HyperSettings, seed: number, estimate?: Estimate | null): TrainSettings {
    const best = this.bestChoiceApplies()
      ? { ...(this.keepBest && { loadBestModelAtEnd: true }), ...(this.patience > 0 && { earlyStoppingPatience: this.patience }) }
      : {};
    const dims = this.matryoshkaDims
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    const base = {
      ...hyper,
      maxGradNorm: this.maxGradNorm,
      seed,
      ...best,
      ...(this.noDuplicates && { noDuplicates: true }),
      ...(dims.length && { matryoshkaDims: dims }),
    };
    if (!this.usesGradCache()) return { loss: this.loss(), ...base };
    return { loss: 'cached-mnrl', ...base, miniBatchSize: estimate?.miniBatchSize ?? Math.min(16, hyper.batchSize ?? 16) };
  }

  runName(): string {
    return this.mode === 'supervised' ? 'Supervised' : this.loss() === 'margin-mse' ? 'GPL' : 'GenQ';
  }

  trainExtras(hasJudgments: boolean) {
    return hasJudgments && this.evalEvery > 0 ? { evalEverySteps: this.evalEvery } : {};
  }

  /** Best-checkpoint selection needs a validation split: only supervised runs evaluate on queries they do not report. */
  bestChoiceApplies(): boolean {
    return this.mode === 'supervised' && this.evalEvery > 0;
  }

  dataProblems(data: DataSummary | null): string[] {
    const out: string[] = [];
    if (this.mode === 'supervised' && data && !data.judgments)
      out.push('Supervised training needs relevance judgments: load a judgments file in step 1.');
    if (this.mode === 'unsupervised' && this.querySource === 'imported' && data && !data.importedQueries) {
      out.push('"Imported queries" needs a queries file in step 1 (or choose generated queries).');
    }
    return out;
  }

  modelProblems(): string[] {
    const out: string[] = [];
    if (this.mode === 'unsupervised' && this.teacher === 'hub' && !this.crossEncoderId.trim()) out.push("Enter the cross-encoder's Hub id.");
    if (this.mode === 'unsupervised' && this.teacher === 'files' && !this.crossEncoderFiles.length) out.push("Choose the cross-encoder's folder.");
    return out;
  }

  settingProblems(): string[] {
    return [
      ...(Number.isInteger(this.evalEvery) && this.evalEvery >= 0 ? [] : ['"Evaluate every" must be a whole number of steps (0 = off).']),
      ...(Number.isInteger(this.patience) && this.patience >= 0 ? [] : ['"Stop after" must be a whole number of evaluations (0 = never).']),
    ];
  }

  expectedRows(data: DataSummary | null): number {
    if (!data) return 1;
    if (this.mode === 'supervised') return Math.max(1, Math.round(data.judgments * (1 - this.validation) * 0.5));
    const base = this.querySource === 'imported' ? data.importedQueries : Math.min(data.documents, this.maxProducts ?? Infinity) * this.perProduct;
    return Math.max(1, base);
  }
}
