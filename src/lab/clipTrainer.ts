/**
 * The trainer worker's CLIP half, environment-free: loads the base CLIP model, trains (or resumes) a run
 * through the same loop, checkpoint store and events as text runs (clipTrainable adds the batch's pixels,
 * the logit-scale clamp and open_clip's decay rule), and exports the tuned model's CLIP folder zipped.
 * The images come with the request (only the keys its rows use), so the trainer needs no corpus.
 */
import type { ClipRow } from '../training/data/clipRows.ts';
import type { ClipEncoder } from '../training/models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../training/models/clip/loadClip.ts';
import type { CheckpointStore } from '../training/train/checkpoint.ts';
import { clipTrainable } from '../training/train/clipTrainable.ts';
import { exportClipModel } from '../training/export/exportClipModel.ts';
import type { ProgressCallback, TrainEvent, TrainOutcome, TrainSettings } from './api/labApi.ts';
import { ModelTooLargeError } from './api/labApi.ts';
import type { ResolvedImages } from './api/clipRequest.ts';
import { modelSource, type ResolvedModelSpec, type SourceOptions } from './modelSources.ts';
import { inspectClipSource } from './clipModelInfo.ts';
import { estimateClipRun } from './clipEstimate.ts';
import type { DeviceLimits } from './estimate.ts';
import type { LabImageSet } from './labImageSet.ts';
import { runTraining } from './runTraining.ts';
import { zipModelFiles } from './exportZip.ts';
import { TunedRunHolder } from './tunedRunHolder.ts';

export interface ClipTrainerEnv extends SourceOptions {
  device(): Promise<DeviceLimits>;
  checkpointStore(runId: string): Promise<CheckpointStore> | CheckpointStore;
  imageSet(images: ResolvedImages): LabImageSet;
}

/** A CLIP training request as the trainer sees it: rows of (caption, product id) and the images of those ids. */
export interface ClipTrainerRequest {
  model: ResolvedModelSpec;
  rows: ClipRow[];
  config: Omit<TrainSettings, 'loss'> & { loss: 'clip' };
  checkpointEverySteps?: number;
  images: ResolvedImages;
}

export interface ClipExportCard { name?: string; metricsBefore?: Record<string, number>; metricsAfter?: Record<string, number> }

export class ClipTrainer extends TunedRunHolder<ClipEncoder, ClipTrainerRequest> {
  constructor(private readonly env: ClipTrainerEnv) {
    super((runId) => env.checkpointStore(runId));
  }

  protected async load(req: ClipTrainerRequest, onProgress?: ProgressCallback): Promise<ClipEncoder> {
    const source = await modelSource(req.model, this.env);
    const shape = await inspectClipSource(source);
    const c = req.config;
    const est = estimateClipRun({ model: shape, batchSize: c.batchSize ?? 8, rows: req.rows.length || 1, lockText: c.lockText, lockImage: c.lockImage }, await this.env.device());
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    return loadClipEncoder(source, { onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }) });
  }

  train(runId: string, req: ClipTrainerRequest, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome & { weights: Uint8Array }> {
    return this.trainHeld(runId, req, (p) => onEvent?.({ type: 'progress', progress: p }), (encoder, store) => {
      const images = this.env.imageSet(req.images).provider(encoder.imageConfig);
      const missing = req.rows.filter((r) => !images.has(r.image));
      if (missing.length) throw new Error(`${missing.length} training row(s) name products without an image in the request, e.g. "${missing[0]!.image}"`);
      return runTraining(clipTrainable(encoder, images), {
        rows: req.rows, config: req.config, checkpointEverySteps: req.checkpointEverySteps, evalEverySteps: 0, store, signal, onEvent,
      });
    });
  }

  /** The tuned CLIP folder (exportClipModel), zipped; rebuilt from the run's last checkpoint when not in memory. */
  async exportZip(runId: string, req: ClipTrainerRequest | undefined, card: ClipExportCard = {}, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const { encoder, req: used } = await this.held(runId, req, onProgress);
    onProgress?.({ phase: 'export', done: 0, total: 1, unit: 'items' });
    const files = await exportClipModel(encoder, TunedRunHolder.cardInfo(used, card.name, 'CLIP contrastive loss (symmetric InfoNCE, learned logit_scale)', card));
    const zip = zipModelFiles(files, card.name ?? 'ftlab-clip');
    onProgress?.({ phase: 'export', done: 1, total: 1, unit: 'items' });
    return zip;
  }
}
