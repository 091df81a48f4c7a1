import type { TfjsCrossEncoder } from '../models/crossEncoder.ts';
import { writeSafetensors } from '../weights/safetensors.ts';
import type { ModelFiles } from './modelFiles.ts';
import { sequenceClassifierGraph } from './sequenceClassifierOnnx.ts';

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/**
 * A cross-encoder folder that loads unchanged in transformers (BertForSequenceClassification), sentence-
 * transformers' CrossEncoder and transformers.js (onnx/model.onnx, dtype fp32): config.json, tokenizer files
 * with model_max_length = the length ftlab scores with, model.safetensors (`bert.*` + `classifier.*`).
 */
export async function exportCrossEncoder(ce: TfjsCrossEncoder): Promise<ModelFiles> {
  const raw = ce.modelConfig;
  const prev = (raw['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const { use_external_data_format: _ext, kv_cache_dtype: _kv, device_config: _dev, ...keep } = prev;
  const config: Record<string, unknown> = {
    ...raw,
    architectures: ['BertForSequenceClassification'],
    torch_dtype: 'float32',
    'transformers.js_config': { ...keep, dtype: 'fp32' },
  };
  if ('dtype' in raw) config.dtype = 'float32';

  const files: ModelFiles = new Map();
  files.set('config.json', json(config));
  for (const [name, text] of Object.entries(ce.tokenizer.files)) files.set(name, text);
  let tokConfig: Record<string, unknown>;
  try {
    tokConfig = JSON.parse(ce.tokenizer.files['tokenizer_config.json'] ?? '{}') as Record<string, unknown>;
  } catch (e) {
    throw new Error(`tokenizer_config.json: invalid JSON (${(e as Error).message})`, { cause: e });
  }
  files.set('tokenizer_config.json', json({ ...tokConfig, model_max_length: ce.maxLength }));

  const tensors = await ce.model.exportTensors();
  files.set('model.safetensors', writeSafetensors(tensors));
  files.set('onnx/model.onnx', await sequenceClassifierGraph(ce.model));
  return files;
}
