import type { SentenceEncoder } from '../models/sentenceEncoder.ts';
import { writeSafetensors, type TensorMap } from '../weights/safetensors.ts';
import { buildBertOnnx, type EmbeddingGraphOptions } from './bertOnnx.ts';
import { renderModelCard, type ModelCardInfo } from './modelCard.ts';
import type { ModelFiles } from './modelFiles.ts';
import { sentenceTransformersFiles } from './sentenceFiles.ts';

export type { ModelCardInfo } from './modelCard.ts';

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** What differs between encoders exported in this layout: config.json's architecture and the ONNX embeddings. */
export interface SentenceExportArch {
  architecture: string;
  onnx?: EmbeddingGraphOptions;
}

const bertArch: SentenceExportArch = { architecture: 'BertModel' };

/**
 * config.json for the exported weights: they are a bare BertModel (no `bert.` prefix, no heads), so the
 * architecture is BertModel (or the family's bare model) whatever the base model was; float32 everywhere;
 * transformers.js picks onnx/model.onnx through dtype fp32 (single file, so no external-data setting may remain).
 */
function exportConfig(raw: Record<string, unknown>, architecture: string): Record<string, unknown> {
  const prev = (raw['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const { use_external_data_format: _ext, kv_cache_dtype: _kv, device_config: _dev, ...keep } = prev;
  const config: Record<string, unknown> = {
    ...raw,
    architectures: [architecture],
    torch_dtype: 'float32',
    'transformers.js_config': { ...keep, dtype: 'fp32' },
  };
  if ('dtype' in raw) config.dtype = 'float32'; // transformers 5 spells torch_dtype "dtype"
  return config;
}

function tokenizerFiles(files: Record<string, string>, maxSeqLength: number): Record<string, string> {
  const out = { ...files };
  let config: Record<string, unknown> = {};
  if (out['tokenizer_config.json']) {
    try {
      config = JSON.parse(out['tokenizer_config.json']) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`tokenizer_config.json: invalid JSON (${(e as Error).message})`, { cause: e });
    }
  }
  // transformers.js and HF tokenizers truncate to model_max_length; keep it equal to what the model was tuned on.
  out['tokenizer_config.json'] = json({ ...config, model_max_length: maxSeqLength });
  return out;
}

/** onnx/model.onnx of these weights: the exported file, and the in-memory graph forward-only inference runs. */
export function sentenceOnnx(encoder: SentenceEncoder, weights: TensorMap, arch = bertArch): Uint8Array {
  return buildBertOnnx(encoder.model.config, weights, encoder.config, { architecture: arch.architecture, ...arch.onnx });
}

/**
 * The complete model folder: loads unchanged with sentence-transformers (PyTorch or backend="onnx"),
 * transformers / AutoModel, transformers.js feature-extraction and plain onnxruntime.
 */
export async function exportSentenceModel(encoder: SentenceEncoder, card: ModelCardInfo, arch = bertArch): Promise<ModelFiles> {
  const config = encoder.model.config;
  const sc = encoder.config;
  const weights = await encoder.model.exportWeights();
  const files: ModelFiles = new Map();
  files.set('config.json', json(exportConfig(encoder.modelConfig, arch.architecture)));
  for (const [name, text] of Object.entries(tokenizerFiles(encoder.tokenizer.files, sc.maxSeqLength))) files.set(name, text);
  files.set('model.safetensors', writeSafetensors(weights));
  for (const [name, text] of Object.entries(sentenceTransformersFiles(sc, config.hidden_size))) files.set(name, text);
  files.set('README.md', renderModelCard(card, { dim: config.hidden_size, sentence: sc, layers: config.num_hidden_layers }));
  files.set('onnx/model.onnx', sentenceOnnx(encoder, weights, arch));
  return files;
}
