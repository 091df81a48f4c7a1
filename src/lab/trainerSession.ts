/**
 * The trainer worker's state, environment-free: loads the base model of any family, trains (or resumes) a run
 * against the run's CheckpointStore, and exports the tuned model. The family (src/training/families) decides
 * the estimate that refuses a run too large for the device, how the encoder trains (text-image families get
 * the images of the rows, which come with the request, so the trainer needs no corpus) and the exported folder.
 * The tuned encoder of the last run stays loaded so the export is immediate; after a reload it is rebuilt from
 * the base model and the run's last checkpoint (TunedRunHolder).
 */
import type { CheckpointStore } from '../training/train/checkpoint.ts';
import type { FamilyEncoder, ModelFamily } from '../training/families/family.ts';
import { familyOf } from '../training/families/registry.ts';
import type { DeviceLimits } from '../training/families/estimate.ts';
import type { ImageProvider } from '../training/images/imageProvider.ts';
import type { ProgressCallback, ResolvedImages, TrainEvent } from './api/labApi.ts';
import type { ExportCard, TrainerOutcome, TrainerRequest } from './api/workerMethods.ts';
import { ModelTooLargeError } from './api/labApi.ts';
import { modelSource, type SourceOptions } from './modelSources.ts';
import type { LabImageSet } from './labImageSet.ts';
import { runTraining } from './runTraining.ts';
import { zipModelFiles } from './exportZip.ts';
import { TunedRunHolder } from './tunedRunHolder.ts';
import { shipFiles } from './shipExport.ts';
import { periodicEvaluation } from './periodicEval.ts';
import { familyForwardEncoder } from '../training/inference/forwardEncoder.ts';

export interface TrainerEnv extends SourceOptions {
  device(): Promise<DeviceLimits>;
  /** the run's checkpoints (IndexedDB in the browser, memory in tests) */
  checkpointStore(runId: string): Promise<CheckpointStore> | CheckpointStore;
  /** text-image runs: how the worker loads the request's images (the IndexedDB cache in the browser) */
  imageSet?(images: ResolvedImages): LabImageSet;
}

export type { ExportCard, TrainerOutcome, TrainerRequest } from './api/workerMethods.ts';

export class TrainerSession extends TunedRunHolder<FamilyEncoder, TrainerRequest> {
  private readonly families = new WeakMap<FamilyEncoder, ModelFamily>();

  constructor(private readonly env: TrainerEnv) {
    super((runId) => env.checkpointStore(runId));
  }

  protected async load(req: TrainerRequest, onProgress?: ProgressCallback): Promise<FamilyEncoder> {
    const source = await modelSource(req.model, this.env);
    const family = await familyOf(source);
    const c = req.config;
    if (!family.losses.includes(c.loss)) {
      throw new Error(`${source.id} is a ${family.name} model: it trains with ${family.losses.join(' or ')}, not the "${c.loss}" loss`);
    }
    const est = family.estimate(
      {
        model: await family.inspect(source),
        batchSize: c.batchSize ?? family.presetBatchSize,
        rows: req.rows.length || 1,
        textsPerRow: (req.rows[0] as { negative?: string } | undefined)?.negative !== undefined ? 3 : 2,
        lockText: c.lockText,
        lockImage: c.lockImage,
      },
      await this.env.device(),
    );
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    const encoder = await family.load(source, {
      onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }),
    });
    this.families.set(encoder, family);
    return encoder;
  }

  /** Text-image runs: the provider of the request's images, refusing rows whose product has none. */
  private images(req: TrainerRequest, encoder: FamilyEncoder): ImageProvider {
    if (!req.images) throw new Error('a CLIP run needs its images (TrainRequest.images, from prepare)');
    if (!this.env.imageSet) throw new Error('this environment cannot load product images for CLIP training');
    const images = this.env.imageSet(req.images).provider(encoder.imageConfig!);
    const missing = (req.rows as { image: string }[]).filter((r) => !images.has(r.image));
    if (missing.length)
      throw new Error(`${missing.length} training row(s) name products without an image in the request, e.g. "${missing[0]!.image}"`);
    return images;
  }

  async train(runId: string, req: TrainerRequest, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainerOutcome> {
    return this.trainHeld(
      runId,
      req,
      (p) => onEvent?.({ type: 'progress', progress: p }),
      (encoder, store) => {
        const family = this.families.get(encoder)!;
        const images = family.task === 'text-image' ? this.images(req, encoder) : undefined;
        // periodic evaluation scores text→text on the EvalSet; CLIP runs are evaluated before and after only
        const every = family.task === 'text' ? (req.evalEverySteps ?? 0) : 0;
        if (every > 0 && !req.evalSet) throw new Error(`evalEverySteps is ${every} but the request has no evaluation data (judgments)`);
        const periodic =
          every > 0
            ? periodicEvaluation(() => familyForwardEncoder(family, encoder), req.evalSet!, every, {
                signal,
                onProgress: (p) => onEvent?.({ type: 'progress', progress: p }),
              })
            : undefined;
        return runTraining(family.trainable(encoder, { images }), {
          rows: req.rows,
          config: req.config,
          checkpointEverySteps: req.checkpointEverySteps,
          store,
          signal,
          evalEverySteps: every,
          evaluate: periodic?.evaluate,
          onEvent: periodic ? periodic.events(onEvent) : onEvent,
        });
      },
    );
  }

  /** The tuned model's export folder, zipped. Rebuilt from the run's last checkpoint when not in memory. */
  async exportZip(runId: string, req: TrainerRequest | undefined, card: ExportCard = {}, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const { encoder, req: used } = await this.held(runId, req, onProgress);
    const family = this.families.get(encoder)!;
    onProgress?.({ phase: 'export', done: 0, total: 1, unit: 'items' });
    const info = TunedRunHolder.cardInfo(used, card.name, family.lossDescription(used.config.loss), card);
    const alpha = card.ship?.wiseAlpha;
    const wise = alpha !== undefined && alpha !== 1 ? { wiseFt: { alpha, base: info.baseModel } } : {};
    const files = await shipFiles(
      family,
      encoder,
      card.ship ?? {},
      () => this.load(used),
      () => family.exportFiles(encoder, { ...info, ...wise }),
    );
    const zip = zipModelFiles(files, card.name ?? (family.task === 'text-image' ? 'ftlab-clip' : 'ftlab-model'));
    onProgress?.({ phase: 'export', done: 1, total: 1, unit: 'items' });
    return zip;
  }
}
