import { clipImageConfigJson, defaultClipImageConfig, parseClipImageConfig } from '../../images/clipImageProcessor.ts';
import { readJson, readJsonIfExists, type ModelSource } from '../../source/modelSource.ts';
import { readSafetensors } from '../../weights/safetensors.ts';
import { loadTokenizer } from '../tokenizer.ts';
import { parseClipConfig } from './clipConfig.ts';
import { ClipEncoder } from './clipEncoder.ts';
import { ClipModel } from './clipModel.ts';
import { normalizeClipNames } from './clipWeights.ts';

export interface LoadClipOptions {
  onWarning?: (message: string) => void;
  /** download progress of the weights file */
  onProgress?: (loaded: number, total?: number) => void;
}

// Buffers transformers keeps in checkpoints but never treats as weights.
const silentlyIgnored = /(^|\.)position_ids$/;

/**
 * Loads a Hugging Face CLIPModel folder: config.json, model.safetensors, the tokenizer files (CLIP's byte-level
 * BPE through the shared loadTokenizer) and preprocessor_config.json (CLIPImageProcessor defaults when absent).
 */
export async function loadClipEncoder(source: ModelSource, opts: LoadClipOptions = {}): Promise<ClipEncoder> {
  const raw = await readJson(source, 'config.json');
  const config = parseClipConfig(raw, `${source.id}/config.json`);
  if (!(await source.exists('model.safetensors'))) {
    const bin = (await source.exists('pytorch_model.bin'))
      ? ' (only pytorch_model.bin found: convert it with CLIPModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True))'
      : '';
    throw new Error(`${source.id}: model.safetensors not found${bin}`);
  }
  const file = `${source.id}/model.safetensors`;
  const tensors = readSafetensors(await source.readBytes('model.safetensors', opts.onProgress), { source: file, onWarning: opts.onWarning });
  const { weights, unused } = normalizeClipNames(tensors, config, file);
  const reported = unused.filter((n) => !silentlyIgnored.test(n));
  if (reported.length) {
    const list = reported.slice(0, 5).join(', ') + (reported.length > 5 ? ` and ${reported.length - 5} more` : '');
    opts.onWarning?.(`${file}: ignored ${reported.length} tensor(s) that are not part of CLIPModel: ${list}`);
  }
  const tokenizer = await loadTokenizer(source);
  // loadTokenizer keeps the files BERT needs; exports also want CLIP's slow-tokenizer files
  for (const name of ['vocab.json', 'merges.txt']) {
    if (await source.exists(name)) tokenizer.files[name] = await source.readText(name);
  }
  let preprocessorConfig = await readJsonIfExists(source, 'preprocessor_config.json');
  if (!preprocessorConfig) {
    opts.onWarning?.(`${source.id}: no preprocessor_config.json; using CLIPImageProcessor defaults for image_size ${config.vision.image_size}`);
    preprocessorConfig = clipImageConfigJson(defaultClipImageConfig(config.vision.image_size));
  }
  const imageConfig = parseClipImageConfig(preprocessorConfig, `${source.id}/preprocessor_config.json`);
  // without a centre crop the pixel size depends on each image; encodeImages checks it then
  if (imageConfig.doCenterCrop && (imageConfig.cropHeight !== config.vision.image_size || imageConfig.cropWidth !== config.vision.image_size)) {
    throw new Error(
      `${source.id}/preprocessor_config.json: crop size ${imageConfig.cropHeight}x${imageConfig.cropWidth} ` +
        `does not match vision_config.image_size ${config.vision.image_size} in config.json`,
    );
  }
  const model = ClipModel.fromWeights(config, weights);
  return new ClipEncoder({ model, tokenizer, imageConfig, modelConfig: raw, preprocessorConfig, sourceId: source.id });
}
