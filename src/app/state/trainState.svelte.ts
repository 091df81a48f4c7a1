/**
 * Step 3: the run itself — load the base model, prepare rows, evaluate the baseline, train (pause, resume,
 * cancel), evaluate the tuned model. Every long step has a progress bar; steps feed the loss/LR charts.
 */
import type { EvaluationResult, LabClient, ModelInfo, TrainOutcome, TrainRequest } from '../../lab/api/labApi.ts';
import { errorMessage, isAbort } from '../lib/format.ts';
import type { DataDescriptor, RunPlan, RunRepository, RunUpdate, StoredRun } from '../lib/runRepository.ts';
import { metricLine, TrainMonitor, type StageId } from './trainMonitor.svelte.ts';

export { metricLine, type EvalPoint, type LogLine, type Stage, type StageId, type StageStatus } from './trainMonitor.svelte.ts';

export type RunPhase = 'idle' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface RunResults {
  runId: string;
  model: ModelInfo;
  before: EvaluationResult | null;
  after: EvaluationResult | null;
  /** the judged queries the run is evaluated on (a supervised run's held-out split); unset: all */
  evalQueries?: string[];
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

export class TrainState extends TrainMonitor {
  phase = $state<RunPhase>('idle');
  error = $state<string | null>(null);
  runId = $state<string | null>(null);
  runName = $state('');

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
    super(() => deps.now?.() ?? Date.now());
    this.deps = deps;
  }

  #reset(name: string, stages: StageId[]): void {
    this.phase = 'running';
    this.error = null;
    this.runName = name;
    this.resetView(stages);
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
      this.setStage('prepare', 'active');
      const prepared = await this.deps.client.prepare(plan.prepare, (p) => this.bars.report(p), signal);
      this.notePrepared(prepared);
      this.setStage('prepare', 'done');
      this.#evalQueries = prepared.validationQueries;
      const request: TrainRequest = (this.#request = {
        ...plan.train,
        model: plan.model,
        rows: prepared.rows,
        // the rows decide the loss; GradCache (cached-mnrl) is MNRL's, chosen in Configure
        config: { ...plan.train.config, loss: prepared.loss === 'mnrl' && plan.train.config.loss === 'cached-mnrl' ? 'cached-mnrl' : prepared.loss },
        ...(prepared.validationQueries && { evalQueries: prepared.validationQueries }),
        ...(prepared.loss === 'clip' && { images: prepared.images }),
      });
      await this.#baseline(signal);
      // structured-cloneable for IndexedDB: no reactive proxies
      const stored: StoredRun = $state.snapshot({
        version: 1 as const,
        plan,
        data,
        request,
        ...(this.#evalQueries && { evalQueries: this.#evalQueries }),
        ...(this.model && { dim: this.model.dim }),
      }) as StoredRun;
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

  #newSignal = (): AbortSignal => (this.#controller = new AbortController()).signal;

  async #loadModel(plan: RunPlan, signal: AbortSignal): Promise<void> {
    this.setStage('model', 'active');
    this.addLog(
      `Loading ${plan.model.kind === 'hub' ? plan.model.id : plan.model.kind === 'files' ? `the local folder ${plan.model.id ?? ''}` : 'a fresh model (random weights)'}…`,
    );
    this.noteModel(await this.deps.client.loadModel(plan.model, (p) => this.bars.report(p), signal));
    this.setStage('model', 'done');
  }

  async #baseline(signal: AbortSignal): Promise<void> {
    if (this.#evaluate) this.#before = await this.#evaluateModel('baseline', signal);
    else {
      this.setStage('baseline', 'skipped');
      this.addLog('No judgments loaded: evaluation is skipped.', 'warn');
    }
  }

  /** Evaluates the base or the tuned model on the judgments (the held-out queries when supervised). */
  async #evaluateModel(which: 'baseline' | 'tuned', signal: AbortSignal): Promise<EvaluationResult> {
    this.setStage(which, 'active');
    const r = await this.deps.client.evaluate(
      { which, ...(this.#evalQueries && { queries: this.#evalQueries }) },
      (p) => this.bars.report(p, `${which}-`, which === 'baseline' ? ' (base model)' : ' (fine-tuned model)'),
      signal,
    );
    this.bars.finish(`${which}-evaluate`);
    this.addLog(`${which === 'baseline' ? 'Base' : 'Fine-tuned'} model: ${metricLine(r.metrics)}.`);
    // the tuned model's warnings repeat the baseline's (same judgments, same corpus)
    if (which === 'baseline') for (const w of r.warnings) this.addLog(w, 'warn');
    this.setStage(which, 'done');
    return r;
  }

  async #createRun(name: string, stored: StoredRun): Promise<string> {
    if (!this.deps.runs) return `run-${this.now().toString(36)}`;
    const summary = await this.deps.runs.create(name, stored);
    this.deps.onRunsChanged?.();
    return summary.id;
  }

  /** the stored run's record, then the run list */
  async #updateRun(runId: string, patch: RunUpdate): Promise<void> {
    await this.deps.runs?.update(runId, patch);
    this.deps.onRunsChanged?.();
  }

  async #train(): Promise<void> {
    const runId = this.runId!;
    const request = this.#request!;
    this.phase = 'running';
    this.setStage('train', 'active');
    await this.#updateRun(runId, { status: 'running' });
    const signal = this.#newSignal();
    let outcome: TrainOutcome;
    try {
      outcome = await this.deps.client.train(runId, request, (e) => this.onTrainEvent(e), signal);
    } finally {
      this.pausing = false;
    }
    if (outcome.status === 'paused') {
      const cancelled = this.#cancelRequested;
      this.phase = cancelled ? 'cancelled' : 'paused';
      if (cancelled) this.setStage('train', 'failed');
      this.addLog(
        cancelled
          ? `Cancelled at step ${outcome.step} of ${outcome.totalSteps}; the run keeps its checkpoint and can be resumed from the run list.`
          : `Paused at step ${outcome.step} of ${outcome.totalSteps} (checkpoint saved).`,
        cancelled ? 'warn' : 'info',
      );
      await this.#updateRun(runId, { status: cancelled ? 'stopped' : 'paused', step: outcome.step, totalSteps: outcome.totalSteps });
      return;
    }
    if (outcome.status === 'nan') {
      const message = outcome.message ?? `the loss became NaN at step ${outcome.step}`;
      this.setStage('train', 'failed');
      this.phase = 'failed';
      this.error = `Training stopped: ${message}. The last good checkpoint is kept.`;
      this.addLog(this.error, 'error');
      await this.#updateRun(runId, { status: 'failed', error: message, step: outcome.step });
      return;
    }
    this.bars.set('train', 'Training', outcome.totalSteps, outcome.totalSteps, 'steps');
    this.setStage('train', 'done');
    this.addLog(`Training finished: ${outcome.totalSteps} steps in ${(outcome.elapsedMs / 1000).toFixed(1)} s.`);
    await this.deps.runs?.update(runId, { step: outcome.step, totalSteps: outcome.totalSteps });
    await this.#finish(runId);
  }

  async #finish(runId: string): Promise<void> {
    const after = this.#evaluate ? await this.#evaluateModel('tuned', this.#newSignal()) : null;
    if (after) this.noteFinalEval(after.metrics);
    else this.setStage('tuned', 'skipped');
    this.phase = 'done';
    await this.#updateRun(runId, {
      status: 'done',
      ...(after && { metricsAfter: after.metrics }),
      ...(this.#before && { metricsBefore: this.#before.metrics }),
    });
    this.deps.onFinished?.({ runId, model: this.model!, before: this.#before, after, ...(this.#evalQueries && { evalQueries: this.#evalQueries }) });
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
      if (this.runId) void this.#updateRun(this.runId, { status: 'failed', error: this.error });
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
      if (this.runId) void this.#updateRun(this.runId, { status: 'stopped' });
      return;
    }
    if (this.phase !== 'running') return;
    this.#cancelRequested = true;
    this.#controller?.abort();
  }
}
