/**
 * Step 3: the run itself — load the base model, prepare rows, evaluate the baseline, train (pause, resume,
 * cancel), evaluate the tuned model. Every long step has a progress bar; steps feed the loss/LR charts.
 */
import type { EvaluationResult, LabClient, ModelInfo, PreparedData, TrainEvent, TrainOutcome, TrainRequest } from '../../workers/labApi.ts';
import { errorMessage, formatCount, isAbort } from '../lib/format.ts';
import type { DataDescriptor, RunPlan, RunRepository, StoredRun } from '../lib/runRepository.ts';
import { ProgressBars } from './progressBars.svelte.ts';

export type RunPhase = 'idle' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
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

export interface RunResults {
  runId: string;
  model: ModelInfo;
  before: EvaluationResult | null;
  after: EvaluationResult | null;
}

export interface TrainDeps {
  client: LabClient;
  runs?: RunRepository;
  /** called when a run finished with its evaluation */
  onFinished?: (r: RunResults) => void;
  /** called when the run list changed (created, status) */
  onRunsChanged?: () => void;
  now?: () => number;
}

const stageLabels: Record<StageId, string> = {
  model: 'Load the base model',
  prepare: 'Prepare training data',
  baseline: 'Evaluate the base model',
  train: 'Fine-tune',
  tuned: 'Evaluate the fine-tuned model',
};

export class TrainState {
  phase = $state<RunPhase>('idle');
  stages = $state<Stage[]>([]);
  readonly bars = new ProgressBars();
  log = $state<LogLine[]>([]);
  error = $state<string | null>(null);
  runId = $state<string | null>(null);
  runName = $state('');
  model = $state<ModelInfo | null>(null);
  prepared = $state<{ rows: number; loss: string; stats: Record<string, number> } | null>(null);

  /** chart series, one point per logged step */
  chartSteps = $state.raw<number[]>([]);
  chartLoss = $state.raw<number[]>([]);
  chartLr = $state.raw<number[]>([]);
  step = $state(0);
  totalSteps = $state(0);
  examplesPerSec = $state<number | null>(null);
  etaSeconds = $state<number | null>(null);
  /** true between pause() and the train call settling */
  pausing = $state(false);

  busy = $derived(this.phase === 'running');
  canPause = $derived(this.phase === 'running' && this.stages.some((s) => s.id === 'train' && s.status === 'active') && !this.pausing);

  readonly deps: TrainDeps;
  #controller: AbortController | null = null;
  #cancelRequested = false;
  #request: TrainRequest | null = null;
  #before: EvaluationResult | null = null;
  #evalQueries: string[] | undefined;
  #evaluate = false;

  constructor(deps: TrainDeps) {
    this.deps = deps;
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  addLog(text: string, level: LogLine['level'] = 'info'): void {
    this.log.push({ at: this.#now(), level, text });
  }

  #stage(id: StageId, status: StageStatus): void {
    const s = this.stages.find((x) => x.id === id);
    if (s) s.status = status;
  }

  #reset(name: string, stages: StageId[]): void {
    this.phase = 'running';
    this.error = null;
    this.runName = name;
    this.stages = stages.map((id) => ({ id, label: stageLabels[id], status: 'pending' }));
    this.bars.clear();
    this.log = [];
    this.chartSteps = [];
    this.chartLoss = [];
    this.chartLr = [];
    this.step = 0;
    this.totalSteps = 0;
    this.examplesPerSec = null;
    this.etaSeconds = null;
    this.pausing = false;
    this.#cancelRequested = false;
    this.#before = null;
  }

  /** Starts a new run from a plan and the loaded data. */
  async start(plan: RunPlan, data: DataDescriptor): Promise<void> {
    if (this.busy) return;
    plan = $state.snapshot(plan) as RunPlan;
    this.#reset(plan.name, ['model', 'prepare', 'baseline', 'train', 'tuned']);
    this.runId = null;
    this.#evaluate = plan.evaluate;
    const signal = this.#newSignal();
    try {
      await this.#loadModel(plan, signal);
      this.#stage('prepare', 'active');
      const prepared = await this.deps.client.prepare(plan.prepare, (p) => this.bars.report(p), signal);
      this.#notePrepared(prepared);
      this.#stage('prepare', 'done');
      this.#evalQueries = prepared.validationQueries;
      const request: TrainRequest = {
        ...plan.train,
        model: plan.model,
        rows: prepared.rows,
        config: { ...plan.train.config, loss: prepared.loss },
        ...(prepared.validationQueries && { evalQueries: prepared.validationQueries }),
      };
      this.#request = request;
      await this.#baseline(signal);
      // structured-cloneable for IndexedDB: no reactive proxies
      const stored: StoredRun = $state.snapshot({ version: 1 as const, plan, data, request, ...(this.#evalQueries && { evalQueries: this.#evalQueries }), ...(this.model && { dim: this.model.dim }) }) as StoredRun;
      this.runId = await this.#createRun(plan.name, stored);
      if (this.#before) await this.deps.runs?.update(this.runId, { metricsBefore: this.#before.metrics });
      await this.#train();
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Continues a stored run (after a reload): reloads the model, then trains from its last checkpoint. */
  async resumeStored(runId: string, stored: StoredRun): Promise<void> {
    if (this.busy) return;
    this.#reset(stored.plan.name, ['model', 'baseline', 'train', 'tuned']);
    this.runId = runId;
    this.#request = stored.request;
    this.#evalQueries = stored.evalQueries;
    this.#evaluate = stored.plan.evaluate;
    const signal = this.#newSignal();
    try {
      await this.#loadModel(stored.plan, signal);
      await this.#baseline(signal);
      await this.#train();
    } catch (e) {
      this.#fail(e);
    }
  }

  #newSignal(): AbortSignal {
    this.#controller = new AbortController();
    return this.#controller.signal;
  }

  async #loadModel(plan: RunPlan, signal: AbortSignal): Promise<void> {
    this.#stage('model', 'active');
    this.addLog(`Loading ${plan.model.kind === 'hub' ? plan.model.id : plan.model.kind === 'files' ? `the local folder ${plan.model.id ?? ''}` : 'a fresh model (random weights)'}…`);
    const model = await this.deps.client.loadModel(plan.model, (p) => this.bars.report(p), signal);
    this.model = model;
    this.addLog(`Model ${model.id}: ${model.modelType}, ${model.layers} layers, hidden ${model.hidden}, ${formatCount(model.parameters)} parameters, ${model.pooling} pooling, ${model.dim}-d embeddings.`);
    for (const w of model.warnings) this.addLog(w, 'warn');
    this.#stage('model', 'done');
  }

  #notePrepared(p: PreparedData): void {
    this.prepared = { rows: p.rows.length, loss: p.loss, stats: p.stats };
    const stats = Object.entries(p.stats).map(([k, v]) => `${k} ${formatCount(v)}`).join(', ');
    this.addLog(`Prepared ${formatCount(p.rows.length)} training rows for ${p.loss === 'margin-mse' ? 'MarginMSE (GPL)' : 'MNRL'}${stats ? ` (${stats})` : ''}.`);
    if (p.validationQueries) this.addLog(`${p.trainQueries?.length ?? '?'} queries for training, ${p.validationQueries.length} held out for validation.`);
    for (const w of p.warnings) this.addLog(w, 'warn');
  }

  async #baseline(signal: AbortSignal): Promise<void> {
    if (!this.#evaluate) {
      this.#stage('baseline', 'skipped');
      this.addLog('No judgments loaded: evaluation is skipped.', 'warn');
      return;
    }
    this.#stage('baseline', 'active');
    this.#before = await this.deps.client.evaluate(
      { which: 'baseline', ...(this.#evalQueries && { queries: this.#evalQueries }) },
      (p) => this.bars.report(p, 'baseline-', ' (base model)'),
      signal,
    );
    this.bars.finish('baseline-evaluate');
    this.addLog(`Base model: ${metricLine(this.#before.metrics)}.`);
    for (const w of this.#before.warnings) this.addLog(w, 'warn');
    this.#stage('baseline', 'done');
  }

  async #createRun(name: string, stored: StoredRun): Promise<string> {
    if (!this.deps.runs) return `run-${this.#now().toString(36)}`;
    const summary = await this.deps.runs.create(name, stored);
    this.deps.onRunsChanged?.();
    return summary.id;
  }

  async #train(): Promise<void> {
    const runId = this.runId!;
    const request = this.#request!;
    this.phase = 'running';
    this.#stage('train', 'active');
    await this.deps.runs?.update(runId, { status: 'running' });
    this.deps.onRunsChanged?.();
    const signal = this.#newSignal();
    let outcome: TrainOutcome;
    try {
      outcome = await this.deps.client.train(runId, request, (e) => this.#onEvent(e), signal);
    } finally {
      this.pausing = false;
    }
    if (outcome.status === 'paused') {
      if (this.#cancelRequested) {
        this.phase = 'cancelled';
        this.#stage('train', 'failed');
        this.addLog(`Cancelled at step ${outcome.step} of ${outcome.totalSteps}; the run keeps its checkpoint and can be resumed from the run list.`, 'warn');
        await this.deps.runs?.update(runId, { status: 'stopped', step: outcome.step, totalSteps: outcome.totalSteps });
      } else {
        this.phase = 'paused';
        this.addLog(`Paused at step ${outcome.step} of ${outcome.totalSteps} (checkpoint saved).`);
        await this.deps.runs?.update(runId, { status: 'paused', step: outcome.step, totalSteps: outcome.totalSteps });
      }
      this.deps.onRunsChanged?.();
      return;
    }
    if (outcome.status === 'nan') {
      const message = outcome.message ?? `the loss became NaN at step ${outcome.step}`;
      this.#stage('train', 'failed');
      this.phase = 'failed';
      this.error = `Training stopped: ${message}. The last good checkpoint is kept.`;
      this.addLog(this.error, 'error');
      await this.deps.runs?.update(runId, { status: 'failed', error: message, step: outcome.step });
      this.deps.onRunsChanged?.();
      return;
    }
    this.bars.set('train', 'Training', outcome.totalSteps, outcome.totalSteps, 'steps');
    this.#stage('train', 'done');
    this.addLog(`Training finished: ${outcome.totalSteps} steps in ${(outcome.elapsedMs / 1000).toFixed(1)} s.`);
    await this.deps.runs?.update(runId, { step: outcome.step, totalSteps: outcome.totalSteps });
    await this.#finish(runId);
  }

  async #finish(runId: string): Promise<void> {
    let after: EvaluationResult | null = null;
    if (this.#evaluate) {
      this.#stage('tuned', 'active');
      after = await this.deps.client.evaluate(
        { which: 'tuned', ...(this.#evalQueries && { queries: this.#evalQueries }) },
        (p) => this.bars.report(p, 'tuned-', ' (fine-tuned model)'),
        this.#newSignal(),
      );
      this.bars.finish('tuned-evaluate');
      this.addLog(`Fine-tuned model: ${metricLine(after.metrics)}.`);
      this.#stage('tuned', 'done');
    } else this.#stage('tuned', 'skipped');
    this.phase = 'done';
    await this.deps.runs?.update(runId, { status: 'done', ...(after && { metricsAfter: after.metrics }), ...(this.#before && { metricsBefore: this.#before.metrics }) });
    this.deps.onRunsChanged?.();
    this.deps.onFinished?.({ runId, model: this.model!, before: this.#before, after });
  }

  #onEvent(e: TrainEvent): void {
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
        break;
    }
  }

  #fail(e: unknown): void {
    for (const s of this.stages) if (s.status === 'active') s.status = 'failed';
    if (isAbort(e) || this.#cancelRequested) {
      this.phase = 'cancelled';
      this.addLog('Cancelled.', 'warn');
    } else {
      this.phase = 'failed';
      this.error = errorMessage(e);
      this.addLog(this.error, 'error');
      if (this.runId) void this.deps.runs?.update(this.runId, { status: 'failed', error: this.error }).then(() => this.deps.onRunsChanged?.());
    }
  }

  /** Pause = abort the training call; the worker saves a checkpoint and resolves 'paused'. */
  pause(): void {
    if (!this.canPause) return;
    this.pausing = true;
    this.addLog('Pausing after the current step…');
    this.#controller?.abort();
  }

  async resume(): Promise<void> {
    if (this.phase !== 'paused' || !this.runId) return;
    try {
      await this.#train();
    } catch (e) {
      this.#fail(e);
    }
  }

  cancel(): void {
    if (this.phase === 'paused') {
      this.phase = 'cancelled';
      this.addLog('Cancelled; the run keeps its checkpoint and can be resumed from the run list.', 'warn');
      if (this.runId) void this.deps.runs?.update(this.runId, { status: 'stopped' }).then(() => this.deps.onRunsChanged?.());
      return;
    }
    if (this.phase !== 'running') return;
    this.#cancelRequested = true;
    this.#controller?.abort();
  }
}

export function metricLine(m: Record<string, number>): string {
  return Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
}
