/**
 * The CLIP family (model_type "clip"): a text and an image tower trained with the symmetric CLIP loss on
 * (caption or query, product image) rows, evaluated and searched text→image, exported in the transformers.js
 * CLIP layout (text_model.onnx, vision_model.onnx, CLIPModel safetensors).
 */
import { parseClipConfig } from '../../models/clip/clipConfig.ts';
import type { ClipEncoder } from '../../models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../../models/clip/loadClip.ts';
import { readJson } from '../../source/modelSource.ts';
import { clipTrainable } from './clipTrainable.ts';
import { exportClipModel } from '../../export/exportClipModel.ts';
import { ImageVectors } from '../../eval/imageVectors.ts';
import type { ModelFamily } from '../family.ts';
import { estimateClipRun } from './estimateClip.ts';
import { clipShape, describeClipEncoder } from './inspectClip.ts';
import { scratchClipModel, type ClipScratchOptions } from './clipScratch.ts';

export const clipFamily: ModelFamily<ClipEncoder> = {
  name: 'clip',
  modelTypes: ['clip'],
  task: 'text-image',
  losses: ['clip'],
  presetBatchSize: 8,
  async inspect(source) {
    return clipShape(parseClipConfig(await readJson(source, 'config.json'), `${source.id}/config.json`));
  },
  estimate: estimateClipRun,
  load: (source, opts = {}) => loadClipEncoder(source, { onWarning: opts.onWarning, onProgress: opts.onProgress }),
  describe: describeClipEncoder,
  trainable(encoder, ctx = {}) {
    if (!ctx.images) throw new Error('CLIP training needs the images of its rows');
    return clipTrainable(encoder, ctx.images) as ReturnType<ModelFamily['trainable']>;
  },
  lossDescription: () => 'CLIP contrastive loss (symmetric InfoNCE, learned logit_scale)',
  index(encoder, corpus) {
    if (!corpus.images) throw new Error('the CLIP index needs the images of the products (none were given)');
    return new ImageVectors(encoder, corpus.images.provider, corpus.images.ids);
  },
  exportFiles: exportClipModel,
  scratch: { kind: 'scratch-clip', build: (spec, texts) => scratchClipModel(spec as ClipScratchOptions, texts) },
};
