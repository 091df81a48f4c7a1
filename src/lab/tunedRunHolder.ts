/**
 * What the lab's text and CLIP trainers share: the tuned encoder of the last run stays loaded so its export
 * is immediate, and after a reload it is rebuilt from the base model plus the run's last checkpoint. The
 * subclasses say only how a base model is loaded (and checked against the device) and what the training
 * call and the exported folder look like.
 */
import * as tf from '@tensorflow/tfjs';
import type { CheckpointStore } from '../training/train/checkpoint.ts';
import type { TensorMap } from '../training/weights/safetensors.ts';
import { writeSafetensors } from '../training/weights/safetensors.ts';
import type { ModelCardInfo } from '../training/export/modelCard.ts';
import type { ProgressCallback, TrainOutcome, TrainSettings } from './api/labApi.ts';
import type { ResolvedModelSpec } from './modelSources.ts';
import type { TrainResult } from '../training/train/trainTypes.ts';

/** The part of an encoder the holder touches: its variables (restore, export) and its memory. */
export interface HeldEncoder {
  model: { params: ReadonlyMap<string, tf.Variable>; exportWeights(): Promise<TensorMap> };
  dispose(): void;
}

/** The part of a request the holder touches: the base model, the rows (counted on the card) and the settings. */
export interface HeldRequest {
  model: ResolvedModelSpec;
  rows: readonly unknown[];
  config: TrainSettings;
}

export abstract class TunedRunHolder<E extends HeldEncoder, Q extends HeldRequest> {
  private last?: { runId: string; encoder: E; req: Q };

  constructor(private readonly checkpoints: (runId: string) => Promise<CheckpointStore> | CheckpointStore) {}

  /** The base model of a request, refused (ModelTooLargeError) when the run would not fit the device. */
  protected abstract load(req: Q, onProgress?: ProgressCallback): Promise<E>;

  /** true when this run's tuned model is in memory (export needs no request then) */
  holds(runId: string): boolean {
    return this.last?.runId === runId;
  }

  forget(): void {
    this.last?.encoder.dispose();
    this.last = undefined;
  }

  /**
   * Loads the base model and trains it with `run`; on success the tuned encoder is kept for export and its
   * weights come back as safetensors, on failure it is freed (the checkpoints stay in the store).
   */
  protected async trainHeld(
    runId: string,
    req: Q,
    onProgress: ProgressCallback | undefined,
    run: (encoder: E, store: CheckpointStore) => Promise<TrainOutcome & { result: TrainResult }>,
  ): Promise<TrainOutcome & { weights: Uint8Array }> {
    this.forget();
    const encoder = await this.load(req, onProgress);
    try {
      const { result: _r, ...outcome } = await run(encoder, await this.checkpoints(runId));
      const weights = writeSafetensors(await encoder.model.exportWeights());
      this.last = { runId, encoder, req };
      return { ...outcome, weights };
    } catch (e) {
      encoder.dispose();
      throw e;
    }
  }

  /** The run's tuned encoder and the request that trained it: in memory, or rebuilt from the last checkpoint. */
  protected async held(runId: string, req: Q | undefined, onProgress?: ProgressCallback): Promise<{ encoder: E; req: Q }> {
    if (this.last?.runId !== runId) {
      if (!req) throw new Error(`run ${runId} is not loaded: resume it (or pass its request) before exporting`);
      this.forget();
      const encoder = await this.load(req, onProgress);
      const c = await (await this.checkpoints(runId)).loadLatest();
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
    return { encoder: this.last.encoder, req: this.last.req };
  }

  /** The model card fields every export states: base model, data, and the scalar hyper-parameters. */
  protected static cardInfo(
    req: HeldRequest,
    dataName: string | undefined,
    loss: string,
    metrics: Pick<ModelCardInfo, 'metricsBefore' | 'metricsAfter' | 'bestModel'>,
  ): ModelCardInfo {
    return {
      baseModel: req.model.kind === 'files' ? (req.model.id ?? 'local folder') : req.model.id,
      data: { name: dataName ?? 'Chorus catalogue', rows: req.rows.length },
      loss,
      hyperparameters: Object.fromEntries(Object.entries(req.config).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))) as Record<
        string,
        string | number | boolean
      >,
      metricsBefore: metrics.metricsBefore,
      metricsAfter: metrics.metricsAfter,
      ...(metrics.bestModel && { bestModel: metrics.bestModel }),
    };
  }

  dispose(): void {
    this.forget();
  }
}
