import { clipImageConfigJson } from '../images/clipImageProcessor.ts';
import type { ClipEncoder } from '../models/clip/clipEncoder.ts';
import { clipConfigJson } from '../models/clip/clipConfig.ts';
import { clipParamSpecs } from '../models/clip/clipWeights.ts';
import { writeSafetensors } from '../weights/safetensors.ts';
import { renderClipModelCard } from './clipModelCard.ts';
import { buildClipTextOnnx, buildClipVisionOnnx } from './clipOnnx.ts';
import type { ModelCardInfo } from './modelCard.ts';
import type { ModelFiles } from './modelFiles.ts';

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
type Json = Record<string, unknown>;

function parse(text: string | undefined, file: string): Json {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * config.json as CLIPModel: the fields ftlab understands rewritten from the parsed config (so the file says what
 * the weights are), everything else the source had kept; float32, and transformers.js told to load the fp32
 * files onnx/text_model.onnx and onnx/vision_model.onnx (no external data).
 */
function exportConfig(encoder: ClipEncoder): Json {
  const raw = encoder.modelConfig;
  const ours = clipConfigJson(encoder.model.config);
  const sub = (key: 'text_config' | 'vision_config') => ({ ...((raw[key] ?? {}) as Json), ...(ours[key] as Json) });
  const prev = (raw['transformers.js_config'] ?? {}) as Json;
  const { use_external_data_format: _ext, kv_cache_dtype: _kv, device_config: _dev, ...keep } = prev;
  const { text_config_dict: _t, vision_config_dict: _v, ...rest } = raw;
  const config: Json = {
    ...rest,
    ...ours,
    text_config: sub('text_config'),
    vision_config: sub('vision_config'),
    architectures: ['CLIPModel'],
    torch_dtype: 'float32',
    'transformers.js_config': { ...keep, dtype: 'fp32' },
  };
  if ('dtype' in raw) config.dtype = 'float32'; // transformers 5 spells torch_dtype "dtype"
  return config;
}

/**
 * vocab.json and merges.txt for the slow CLIPTokenizer, taken from tokenizer.json's BPE model when the source
 * only had tokenizer.json (CLIPTokenizerFast and transformers.js need only tokenizer.json).
 */
function bpeFiles(tokenizerJson: Json): Record<string, string> {
  const model = (tokenizerJson.model ?? {}) as { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
  if (model.type !== 'BPE' || !model.vocab || !Array.isArray(model.merges)) return {};
  const merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  return { 'vocab.json': JSON.stringify(model.vocab), 'merges.txt': ['#version: 0.2', ...merges].join('\n') + '\n' };
}

function tokenizerFiles(encoder: ClipEncoder): Record<string, string> {
  const files = { ...encoder.tokenizer.files };
  const where = `${encoder.sourceId}/tokenizer.json`;
  for (const [name, text] of Object.entries(bpeFiles(parse(files['tokenizer.json'], where)))) files[name] ??= text;
  const config = parse(files['tokenizer_config.json'], `${encoder.sourceId}/tokenizer_config.json`);
  // transformers.js and HF tokenizers truncate to model_max_length: keep it at the length ftlab trained with.
  files['tokenizer_config.json'] = json({ ...config, model_max_length: encoder.maxTextLength });
  return files;
}

/**
 * The complete CLIP folder: loads unchanged with transformers (CLIPModel, CLIPProcessor), transformers.js
 * (CLIPTextModelWithProjection / CLIPVisionModelWithProjection on onnx/{text,vision}_model.onnx, AutoTokenizer,
 * AutoProcessor), plain onnxruntime, and ftlab itself (including `ftlab serve`'s /ftclip/text/ route).
 */
export async function exportClipModel(encoder: ClipEncoder, card: ModelCardInfo): Promise<ModelFiles> {
  const c = encoder.model.config;
  const img = encoder.imageConfig;
  if (img.doCenterCrop && (img.cropHeight !== c.vision.image_size || img.cropWidth !== c.vision.image_size)) {
    throw new Error(
      `${encoder.sourceId}: preprocessor_config.json crops to ${img.cropHeight}x${img.cropWidth} but vision_config.image_size is ` +
        `${c.vision.image_size}; the exported vision_model.onnx takes ${c.vision.image_size}x${c.vision.image_size} pixel_values`,
    );
  }
  const weights = await encoder.model.exportWeights();
  const missing = clipParamSpecs(c)
    .filter((s) => !weights.has(s.name))
    .map((s) => s.name);
  if (missing.length)
    throw new Error(`CLIP export: the model has no ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`);

  const files: ModelFiles = new Map();
  files.set('config.json', json(exportConfig(encoder)));
  for (const [name, text] of Object.entries(tokenizerFiles(encoder))) files.set(name, text);
  files.set('preprocessor_config.json', json({ ...encoder.preprocessorConfig, ...clipImageConfigJson(img) }));
  files.set('model.safetensors', writeSafetensors(weights));
  files.set('README.md', renderClipModelCard(card, { config: c, maxTextLength: encoder.maxTextLength, imageSize: c.vision.image_size }));
  files.set('onnx/text_model.onnx', buildClipTextOnnx(c, weights));
  files.set('onnx/vision_model.onnx', buildClipVisionOnnx(c, weights));
  return files;
}
