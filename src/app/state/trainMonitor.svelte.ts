/**
 * What a run shows while it runs: its stages, progress bars, log, loss/learning-rate series, the periodic
 * evaluations and the step counters, all fed by the trainer's events. TrainState (the orchestration:
 * start, pause, resume, cancel) extends this, so the UI reads one object.
 */
import type { ClipPreparedData, ModelInfo, PreparedData, TrainEvent } from '../../lab/api/labApi.ts';
import { formatCount } from '../lib/format.ts';
import { ProgressBars } from './progressBars.svelte.ts';

export type StageId = 'model' | 'prepare' | 'baseline' | 'train' | 'tuned';
export type StageStatus = 'pending' | 'active' | 'done' | 'skipped' | 'failed';

export interface Stage {
  id: StageId;
  label: string;
  status: StageStatus;
}

export interface LogLine {
  at: number;
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** One periodic evaluation during training (TrainRequest.evalEverySteps). */
export interface EvalPoint {
  step: number;
  metrics: Record<string, number>;
}

const stageLabels: Record<StageId, string> = {
  model: 'Load the base model',
  prepare: 'Prepare training data',
  baseline: 'Evaluate the base model',
  train: 'Fine-tune',
  tuned: 'Evaluate the fine-tuned model',
};

export function metricLine(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(', ');
}

export class TrainMonitor {
  stages = $state<Stage[]>([]);
  readonly bars = new ProgressBars();
  log = $state<LogLine[]>([]);
  model = $state<ModelInfo | null>(null);
  prepared = $state<{ rows: number; loss: string; stats: Record<string, number> } | null>(null);
  /** the hard-negative mining's (supervised, GenQ mined) statistics and example queries (the review panel) */
  mining = $state.raw<PreparedData['mining'] | null>(null);

  /** chart series, one point per logged step */
  chartSteps = $state.raw<number[]>([]);
  chartLoss = $state.raw<number[]>([]);
  chartLr = $state.raw<number[]>([]);
  /** evaluations during training, in step order */
  evals = $state.raw<EvalPoint[]>([]);
  step = $state(0);
  totalSteps = $state(0);
  examplesPerSec = $state<number | null>(null);
  etaSeconds = $state<number | null>(null);

  constructor(private readonly clock: () => number) {}

  protected now(): number {
    return this.clock();
  }

  addLog(text: string, level: LogLine['level'] = 'info'): void {
    this.log.push({ at: this.clock(), level, text });
  }

  protected setStage(id: StageId, status: StageStatus): void {
    const s = this.stages.find((x) => x.id === id);
    if (s) s.status = status;
  }

  protected noteModel(model: ModelInfo): void {
    this.model = model;
    const c = model.clip;
    this.addLog(
      c
        ? `Model ${model.id}: CLIP, text tower ${c.text.layers} layers × ${c.text.hidden}, image tower ${c.vision.layers} layers × ${c.vision.hidden} on ${c.vision.imageSize}px images in ${c.vision.patchSize}px patches, ${formatCount(model.parameters)} parameters, ${model.dim}-d embeddings.`
        : `Model ${model.id}: ${model.modelType}, ${model.layers} layers, hidden ${model.hidden}, ${formatCount(model.parameters)} parameters, ${model.pooling} pooling, ${model.dim}-d embeddings.`,
    );
    for (const w of model.warnings) this.addLog(w, 'warn');
  }

  protected notePrepared(p: PreparedData | ClipPreparedData): void {
    this.prepared = { rows: p.rows.length, loss: p.loss, stats: p.stats };
    this.mining = 'mining' in p && p.mining ? p.mining : null;
    if (this.mining) {
      const m = this.mining.stats;
      const filtered = Object.values(m.filtered).reduce((a, b) => a + b, 0);
      this.addLog(
        `Hard negatives (${m.scoredBy} scores): ${formatCount(m.negatives)} kept, ${formatCount(filtered)} filtered as probable false negatives, ${formatCount(m.excluded)} judged relevant or equal to the positive.`,
      );
    }
    const stats = Object.entries(p.stats)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(', ');
    this.addLog(
      `Prepared ${formatCount(p.rows.length)} training rows for ${p.loss === 'margin-mse' ? 'MarginMSE (GPL)' : p.loss === 'clip' ? 'the CLIP contrastive loss' : 'MNRL'}${stats ? ` (${stats})` : ''}.`,
    );
    if (p.validationQueries)
      this.addLog(`${p.trainQueries?.length ?? '?'} queries for training, ${p.validationQueries.length} held out for validation.`);
    for (const w of p.warnings) this.addLog(w, 'warn');
  }

  /**
   * The tuned model's evaluation closes the curve of a run that evaluated every N steps: the trainer skips
   * its own evaluation of the last step (periodicEval.ts) since these are the same weights and judgments.
   */
  protected noteFinalEval(metrics: Record<string, number>): void {
    const last = this.evals.at(-1);
    if (last && last.step !== this.totalSteps) this.evals = [...this.evals, { step: this.totalSteps, metrics }];
  }

  protected resetView(stages: StageId[]): void {
    this.stages = stages.map((id) => ({ id, label: stageLabels[id], status: 'pending' }));
    this.bars.clear();
    this.log = [];
    this.chartSteps = [];
    this.chartLoss = [];
    this.chartLr = [];
    this.evals = [];
    this.step = 0;
    this.totalSteps = 0;
    this.examplesPerSec = null;
    this.etaSeconds = null;
  }

  protected onTrainEvent(e: TrainEvent): void {
    switch (e.type) {
      case 'step':
        this.step = e.step;
        this.totalSteps = e.totalSteps;
        this.examplesPerSec = e.examplesPerSec;
        this.etaSeconds = e.etaSeconds;
        this.chartSteps = [...this.chartSteps, e.step];
        this.chartLoss = [...this.chartLoss, e.loss];
        this.chartLr = [...this.chartLr, e.lr];
        this.bars.set('train', 'Training', e.step, e.totalSteps, 'steps', `epoch ${e.epoch + 1}`);
        if (e.step === 1 || e.step === e.totalSteps || e.step % Math.max(1, Math.round(e.totalSteps / 20)) === 0) {
          this.addLog(`step ${e.step}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ${e.examplesPerSec.toFixed(1)} ex/s`);
        }
        break;
      case 'eval':
        this.evals = [...this.evals, { step: e.step, metrics: e.metrics }];
        this.addLog(`step ${e.step}: ${metricLine(e.metrics)}`);
        break;
      case 'checkpoint':
        this.addLog(`Checkpoint saved at step ${e.step}.`);
        break;
      case 'resumed':
        this.step = e.step;
        this.totalSteps = e.totalSteps;
        this.bars.set('train', 'Training', e.step, e.totalSteps, 'steps');
        this.addLog(`Resumed from the checkpoint at step ${e.step} of ${e.totalSteps}.`);
        break;
      case 'stopped':
        this.addLog(e.message, e.reason === 'nan' ? 'error' : 'warn');
        break;
      case 'progress':
        this.bars.report(e.progress);
        break;
      case 'done':
        if (e.earlyStopped) this.addLog(`Stopped early at step ${e.step}: the last evaluations did not beat the best one.`);
        if (e.best && e.best.step !== e.step)
          this.addLog(`Kept the weights of step ${e.best.step}, the best ${e.best.metric} on the held-out queries (${e.best.value.toFixed(3)}).`);
        break;
    }
  }
}
