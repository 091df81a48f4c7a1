/**
 * The trainer worker's state, environment-free: loads the base model, trains (or resumes) a run against the
 * run's CheckpointStore, and exports the tuned model. The tuned encoder of the last run stays loaded so the
 * export is immediate; after a reload it is rebuilt from the base model and the run's last checkpoint.
 */
import { loadSentenceEncoder } from '../training/models/registry.ts';
import type { SentenceEncoder } from '../training/models/sentenceEncoder.ts';
import type { CheckpointStore } from '../training/train/checkpoint.ts';
import { exportSentenceModel } from '../training/export/exportSentenceModel.ts';
import type { ProgressCallback, TrainEvent, TrainOutcome, TrainRequest } from './api/labApi.ts';
import { ModelTooLargeError } from './api/labApi.ts';
import { modelSource, type ResolvedModelSpec, type SourceOptions } from './modelSources.ts';
import { inspectSource } from './modelInfo.ts';
import { estimateRun, type DeviceLimits } from './estimate.ts';
import { runTraining } from './runTraining.ts';
import { zipModelFiles } from './exportZip.ts';
import { TunedRunHolder } from './tunedRunHolder.ts';
import { periodicEvaluation, type EvalSet } from './periodicEval.ts';
import { ClipTrainer, type ClipTrainerEnv, type ClipTrainerRequest } from './clipTrainer.ts';
import type { TrainRow } from '../training/data/trainRows.ts';

export interface TrainerEnv extends SourceOptions, Partial<Pick<ClipTrainerEnv, 'imageSet'>> {
  device(): Promise<DeviceLimits>;
  /** the run's checkpoints (IndexedDB in the browser, memory in tests) */
  checkpointStore(runId: string): Promise<CheckpointStore> | CheckpointStore;
}

/**
 * A train request whose model the trainer can load on its own (scratch models already materialized), plus
 * the evaluation data when the run evaluates every N steps (the client fetches it from the pipeline worker).
 */
export type TrainerRequest = Omit<TrainRequest, 'model'> & { model: ResolvedModelSpec; evalSet?: EvalSet };

export interface TrainerOutcome extends TrainOutcome {
  /** the tuned weights as a safetensors file (for the pipeline's "tuned" model and weight comparisons) */
  weights: Uint8Array;
}

export interface ExportCard { name?: string; description?: string; metricsBefore?: Record<string, number>; metricsAfter?: Record<string, number> }

export class TrainerSession extends TunedRunHolder<SentenceEncoder, TrainerRequest> {
  private clipTrainer?: ClipTrainer;

  constructor(private readonly env: TrainerEnv) {
    super((runId) => env.checkpointStore(runId));
  }

  /** CLIP runs (loss 'clip') go through ClipTrainer: same loop, store and events, CLIP export. */
  private clip(): ClipTrainer {
    const imageSet = this.env.imageSet;
    if (!imageSet) throw new Error('this environment cannot load product images for CLIP training');
    return (this.clipTrainer ??= new ClipTrainer({ ...this.env, imageSet }));
  }

  private static clipRequest(req: TrainerRequest): ClipTrainerRequest {
    if (!req.images) throw new Error('a CLIP run needs its images (TrainRequest.images, from prepare)');
    return { model: req.model, rows: req.rows as ClipTrainerRequest['rows'], config: { ...req.config, loss: 'clip' }, checkpointEverySteps: req.checkpointEverySteps, images: req.images };
  }

  protected async load(req: TrainerRequest, onProgress?: ProgressCallback): Promise<SentenceEncoder> {
    const source = await modelSource(req.model, this.env);
    const shape = await inspectSource(source);
    const est = estimateRun({ model: shape, batchSize: req.config.batchSize ?? 16, rows: req.rows.length || 1, textsPerRow: (req.rows as TrainRow[])[0]?.negative !== undefined ? 3 : 2 }, await this.env.device());
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    return loadSentenceEncoder(source, { onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }) });
  }

  async train(runId: string, req: TrainerRequest, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainerOutcome> {
    this.forget();
    this.clipTrainer?.forget();
    if (req.config.loss === 'clip') return this.clip().train(runId, TrainerSession.clipRequest(req), onEvent, signal);
    return this.trainHeld(runId, req, (p) => onEvent?.({ type: 'progress', progress: p }), (encoder, store) => {
      const every = req.evalEverySteps ?? 0;
      if (every > 0 && !req.evalSet) throw new Error(`evalEverySteps is ${every} but the request has no evaluation data (judgments)`);
      const periodic = every > 0 ? periodicEvaluation(encoder, req.evalSet!, every, { signal, onProgress: (p) => onEvent?.({ type: 'progress', progress: p }) }) : undefined;
      return runTraining(encoder, {
        rows: req.rows as TrainRow[], config: req.config, checkpointEverySteps: req.checkpointEverySteps, store, signal,
        evalEverySteps: every, evaluate: periodic?.evaluate, onEvent: periodic ? periodic.events(onEvent) : onEvent,
      });
    });
  }

  /** The tuned model's export folder, zipped. Rebuilt from the run's last checkpoint when not in memory. */
  async exportZip(runId: string, req: TrainerRequest | undefined, card: ExportCard = {}, onProgress?: ProgressCallback): Promise<Uint8Array> {
    if (req ? req.config.loss === 'clip' : this.clipTrainer?.holds(runId)) {
      this.forget();
      return this.clip().exportZip(runId, req && TrainerSession.clipRequest(req), card, onProgress);
    }
    this.clipTrainer?.forget();
    const { encoder, req: used } = await this.held(runId, req, onProgress);
    onProgress?.({ phase: 'export', done: 0, total: 1, unit: 'items' });
    const files = await exportSentenceModel(encoder, TunedRunHolder.cardInfo(used, card.name, used.config.loss, card));
    const zip = zipModelFiles(files, card.name ?? 'ftlab-model');
    onProgress?.({ phase: 'export', done: 1, total: 1, unit: 'items' });
    return zip;
  }

  override dispose(): void {
    super.dispose();
    this.clipTrainer?.dispose();
  }
}
