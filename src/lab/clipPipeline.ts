/**
 * The pipeline worker's CLIP half, environment-free: the product images (resolved, checked, with failures),
 * the baseline and tuned CLIP models, their cached image vectors, CLIP rows, text→image evaluation and the
 * playground's "image vectors" search. PipelineSession delegates here when the loaded model is a CLIP model.
 */
import type { ClipRow } from '../training/data/clipRows.ts';
import type { ClipEncoder } from '../training/models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../training/models/clip/loadClip.ts';
import type { ModelSource } from '../training/source/modelSource.ts';
import type { EvaluateRequest, EvaluationResult, ProgressCallback, SearchHit } from './api/labApi.ts';
import { ModelTooLargeError } from './api/labApi.ts';
import type { ClipPrepare, ImageSource, ImageSummary, ResolvedImages } from './api/clipRequest.ts';
import { pickJudgments, type LoadedLabData } from './labData.ts';
import { LabImageSet, pickImages, resolveImages, type ResolvedImageSource } from './labImageSet.ts';
import { clipEncoderInfo, inspectClipSource, type ClipModelInfo } from './clipModelInfo.ts';
import { estimateClipRun } from './clipEstimate.ts';
import type { DeviceLimits } from './estimate.ts';
import { overlaySource } from './modelSources.ts';
import { prepareClipRows, type ClipPrepared } from './clipPrepare.ts';
import { ImageVectors } from './imageVectors.ts';

export type ClipSlot = 'baseline' | 'tuned';

export interface ClipPipelineEnv {
  device(): Promise<DeviceLimits>;
  /** how a worker loads images: fetch (IndexedDB-cached) + decode in the browser, memory in tests */
  imageSet(images: ResolvedImages): LabImageSet;
  /** page URL relative image URLs resolve against */
  baseUrl?: string;
  /** batch size of the estimate that guards loadModel; default 8 (the CLIP preset) */
  guardBatchSize?: number;
}

interface LoadedClip {
  encoder: ClipEncoder;
  source: ModelSource;
  info: ClipModelInfo;
  vectors?: ImageVectors;
}

const shownFields = ['title', 'name', 'supplier', 'brand', 'attr_t_product_type', 'img_thumb', 'img_500x500', 'img_high', 'img_low'];
const noImages = () => new Error('no product images yet: choose an image source in the Data step and check the images');

export class ClipPipeline {
  private images?: { set: LabImageSet; resolved: ResolvedImageSource };
  private readonly models = new Map<ClipSlot, LoadedClip>();

  constructor(private readonly env: ClipPipelineEnv) {}

  has(slot: ClipSlot): boolean {
    return this.models.has(slot);
  }

  setImages(data: LoadedLabData, source: ImageSource): ImageSummary {
    const resolved = resolveImages(data.products, source, this.env.baseUrl);
    this.images = { set: this.env.imageSet(resolved.images), resolved };
    for (const m of this.models.values()) m.vectors = undefined;
    return this.summary(data);
  }

  /** A new corpus: the images were matched to the old one. */
  clearImages(): void {
    this.images = undefined;
    for (const m of this.models.values()) m.vectors = undefined;
  }

  /** Loads and decodes every image once; failures are listed, never thrown. */
  async checkImages(data: LoadedLabData, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ImageSummary> {
    if (!this.images) throw noImages();
    await this.images.set.check({ signal, onProgress: (done, total) => onProgress?.({ phase: 'images', done, total, unit: 'items' }) });
    for (const m of this.models.values()) m.vectors = undefined;
    return this.summary(data);
  }

  summary(data: LoadedLabData): ImageSummary {
    if (!this.images) throw noImages();
    const { set, resolved } = this.images;
    const failures = set.failures();
    return {
      products: data.products.length, withImage: set.keys().length, withoutImage: resolved.withoutImage.length,
      withoutImageIds: resolved.withoutImage.slice(0, 20), checked: set.checked, ok: set.checked - failures.length, failures,
      unmatchedFiles: resolved.unmatchedFiles.slice(0, 20), fromCache: set.fromCache,
    };
  }

  /** The images the trainer needs for `rows` (their keys only). */
  trainImages(rows: readonly ClipRow[]): ResolvedImages {
    if (!this.images) throw noImages();
    return pickImages(this.images.resolved.images, rows.map((r) => r.image));
  }

  private usable(data: LoadedLabData): string[] {
    if (!this.images) throw noImages();
    const ok = new Set(this.images.set.usable());
    return data.ids.filter((id) => ok.has(id));
  }

  async loadModel(slot: ClipSlot, source: ModelSource, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ClipModelInfo> {
    const shape = await inspectClipSource(source);
    const est = estimateClipRun({ model: shape, batchSize: this.env.guardBatchSize ?? 8, rows: 1 }, await this.env.device());
    if (!est.fits) throw new ModelTooLargeError(`${source.id}: ${est.reason}`);
    signal?.throwIfAborted();
    const warnings: string[] = [];
    const encoder = await loadClipEncoder(source, {
      onWarning: (m) => warnings.push(m),
      onProgress: (done, total) => onProgress?.({ phase: 'download', done, total, unit: 'bytes', detail: 'model.safetensors' }),
    });
    const info = clipEncoderInfo(source.id, encoder, warnings);
    this.drop(slot);
    if (slot === 'baseline') this.drop('tuned');
    this.models.set(slot, { encoder, source, info });
    return info;
  }

  /** The tuned model: the trainer's weights over the base model's tokenizer and configs (`base` when the baseline is another model). */
  async setTuned(weights: Uint8Array, id = 'tuned', base?: ModelSource): Promise<ClipModelInfo> {
    const baseSource = base ?? this.models.get('baseline')?.source;
    if (!baseSource) throw new Error('load the base CLIP model before the tuned weights');
    const source = overlaySource(baseSource, new Map([['model.safetensors', weights]]), id);
    const encoder = await loadClipEncoder(source);
    this.drop('tuned');
    const info = clipEncoderInfo(id, encoder);
    this.models.set('tuned', { encoder, source, info });
    return info;
  }

  drop(slot: ClipSlot): void {
    this.models.get(slot)?.encoder.dispose();
    this.models.delete(slot);
  }

  private model(slot: ClipSlot): LoadedClip {
    const m = this.models.get(slot);
    if (!m) throw new Error(slot === 'tuned' ? 'no tuned CLIP model yet: train first' : 'no base CLIP model loaded: pick one in the Configure step');
    return m;
  }

  private vectors(slot: ClipSlot, data: LoadedLabData): ImageVectors {
    const m = this.model(slot);
    m.vectors ??= new ImageVectors(m.encoder, this.images!.set.provider(m.encoder.imageConfig), this.usable(data));
    return m.vectors;
  }

  prepare(data: LoadedLabData, req: ClipPrepare): ClipPrepared {
    const ok = new Set(this.usable(data));
    return prepareClipRows(data, (id) => ok.has(id), req);
  }

  async evaluate(data: LoadedLabData, req: EvaluateRequest, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvaluationResult> {
    if (!data.judgments) throw new Error('evaluation needs judgments: drop a judgments CSV in the Data step');
    const judgments = pickJudgments(data.judgments, req.queries);
    const r = await this.vectors(req.which, data).evaluate(judgments, { k: req.k ?? 10, relevanceThreshold: req.relevanceThreshold ?? 2 }, {
      signal,
      onProgress: (p) => onProgress?.({ phase: p.phase === 'corpus' ? 'embed-images' : p.phase === 'queries' ? 'embed-queries' : 'evaluate', done: p.done, total: p.total, unit: 'items' }),
    });
    return { which: req.which, metrics: r.metrics, queries: r.queries, warnings: r.warnings ?? [] };
  }

  /** The playground's "image vectors" mode: the query's text embedding against the product image embeddings. */
  async search(data: LoadedLabData, query: string, k: number, which: ClipSlot, signal?: AbortSignal): Promise<SearchHit[]> {
    const q = query.trim();
    if (!q) return [];
    const [hit] = await this.vectors(which, data).search([q], k, { signal });
    const judged = data.judgments?.get(q) ?? [...(data.judgments ?? [])].find(([jq]) => jq.toLowerCase() === q.toLowerCase())?.[1];
    return hit!.ids.map((id, i) => {
      const row = data.rowOf.get(id)!;
      const fields: Record<string, string> = {};
      for (const f of shownFields) {
        const v = data.products[row]!.fields[f];
        if (typeof v === 'string' || typeof v === 'number') fields[f] = String(v);
      }
      const rating = judged?.get(id);
      return { rank: i + 1, id, score: hit!.scores[i]!, text: data.texts[row]!, fields, ...(rating !== undefined && { rating }) };
    });
  }

  dispose(): void {
    for (const slot of [...this.models.keys()]) this.drop(slot);
  }
}
