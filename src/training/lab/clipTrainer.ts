/**
 * The trainer worker's CLIP half, environment-free: loads the base CLIP model, trains (or resumes) a run
 * through the same loop, checkpoint store and events as text runs (clipTrainable adds the batch's pixels,
 * the logit-scale clamp and open_clip's decay rule), and exports the tuned model's CLIP folder zipped.
 * The images come with the request (only the keys its rows use), so the trainer needs no corpus.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClipRow } from '../data/clipRows.ts';
import type { ClipEncoder } from '../models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../models/clip/loadClip.ts';
import type { CheckpointStore } from '../train/checkpoint.ts';
import { clipTrainable } from '../train/clipTrainable.ts';
import type { TrainableEncoder } from '../train/trainLoop.ts';
import type { TrainRow } from '../data/trainRows.ts';
import { writeSafetensors } from '../weights/safetensors.ts';
import { exportClipModel } from '../export/exportClipModel.ts';
import type { ProgressCallback, TrainEvent, TrainOutcome, TrainSettings } from '../../workers/labApi.ts';
import { ModelTooLargeError } from '../../workers/labApi.ts';
import type { ResolvedImages } from '../../workers/clipRequest.ts';
import { modelSource, type ResolvedModelSpec, type SourceOptions } from './modelSources.ts';
import { inspectClipSource } from './clipModelInfo.ts';
import { estimateClipRun } from './clipEstimate.ts';
import type { DeviceLimits } from './estimate.ts';
import type { LabImageSet } from './labImageSet.ts';
import { runTraining } from './runTraining.ts';
import { zipModelFiles } from './exportZip.ts';

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

export class ClipTrainer {
  private last?: { runId: string; encoder: ClipEncoder; req: ClipTrainerRequest };

  constructor(private readonly env: ClipTrainerEnv) {}

  private async load(req: ClipTrainerRequest, onProgress?: ProgressCallback): Promise<ClipEncoder> {
    const source = await modelSource(req.model, this.env);
    const shape = await inspectClipSource(source);
    const c = req.config;
    const est = estimateClipRun({ model: shape, batchSize: c.batchSize ?? 8, rows: req.rows.length || 1, lockText: c.lockText, lockImage: c.lockImage }, await this.env.device());
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    return loadClipEncoder(source, { onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }) });
  }

  /** true when this run's tuned model is in memory (export needs no request then) */
  holds(runId: string): boolean {
    return this.last?.runId === runId;
  }

  forget(): void {
    this.last?.encoder.dispose();
    this.last = undefined;
  }

  async train(runId: string, req: ClipTrainerRequest, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome & { weights: Uint8Array }> {
    this.forget();
    const encoder = await this.load(req, (p) => onEvent?.({ type: 'progress', progress: p }));
    try {
      const images = this.env.imageSet(req.images).provider(encoder.imageConfig);
      const missing = req.rows.filter((r) => !images.has(r.image));
      if (missing.length) throw new Error(`${missing.length} training row(s) name products without an image in the request, e.g. "${missing[0]!.image}"`);
      // the loop is generic in its rows; runTraining's signature still names text rows
      const trainable = clipTrainable(encoder, images) as unknown as TrainableEncoder;
      const outcome = await runTraining(trainable, {
        rows: req.rows as unknown as TrainRow[], config: req.config as unknown as TrainSettings, checkpointEverySteps: req.checkpointEverySteps,
        evalEverySteps: 0, store: await this.env.checkpointStore(runId), signal, onEvent,
      });
      const weights = writeSafetensors(await encoder.model.exportWeights());
      this.last = { runId, encoder, req };
      const { result: _r, ...rest } = outcome;
      return { ...rest, weights };
    } catch (e) {
      encoder.dispose();
      throw e;
    }
  }

  /** The tuned CLIP folder (exportClipModel), zipped; rebuilt from the run's last checkpoint when not in memory. */
  async exportZip(runId: string, req: ClipTrainerRequest | undefined, card: ClipExportCard = {}, onProgress?: ProgressCallback): Promise<Uint8Array> {
    if (this.last?.runId !== runId) {
      if (!req) throw new Error(`run ${runId} is not loaded: resume it (or pass its request) before exporting`);
      this.forget();
      const encoder = await this.load(req, onProgress);
      const c = await (await this.env.checkpointStore(runId)).loadLatest();
      if (!c) {
        encoder.dispose();
        throw new Error(`run ${runId} has no checkpoint to export`);
      }
      for (const [name, v] of encoder.model.params) {
        const t = c.weights.get(name);
        if (t) tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, 'float32')));
      }
      this.last = { runId, encoder, req };
    }
    const { encoder, req: used } = this.last!;
    onProgress?.({ phase: 'export', done: 0, total: 1, unit: 'items' });
    const files = await exportClipModel(encoder, {
      baseModel: used.model.kind === 'files' ? (used.model.id ?? 'local folder') : used.model.id,
      data: { name: card.name ?? 'Chorus catalogue', rows: used.rows.length },
      loss: 'CLIP contrastive loss (symmetric InfoNCE, learned logit_scale)',
      hyperparameters: Object.fromEntries(Object.entries(used.config).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))) as Record<string, string | number | boolean>,
      metricsBefore: card.metricsBefore, metricsAfter: card.metricsAfter,
    });
    const zip = zipModelFiles(files, card.name ?? 'ftlab-clip');
    onProgress?.({ phase: 'export', done: 1, total: 1, unit: 'items' });
    return zip;
  }

  dispose(): void {
    this.forget();
  }
}
