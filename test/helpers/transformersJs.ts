/** Loading exported model folders the way transformers.js users do: from disk by name, offline. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, AutoTokenizer, env, pipeline } from '@huggingface/transformers';

/**
 * A fresh temp folder that transformers.js resolves model names in (`from_pretrained('x')` reads `<root>/x`),
 * with remote models and the file cache off, so every load reads what the test exported.
 */
export async function transformersJsRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root + path.sep;
  env.useFSCache = false;
  return root;
}

/** What every exported sentence-transformers folder holds, whatever the family (tokenizers may add their own files). */
export const sentenceFiles = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'model.safetensors',
  'modules.json',
  'sentence_bert_config.json',
  '1_Pooling/config.json',
  'README.md',
  'onnx/model.onnx',
];

export async function removeFolder(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Every file and folder below `dir` as '/'-separated relative paths, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map((f) => f.split(path.sep).join('/')).sort();
}

/** transformers.js' feature-extraction pipeline (fp32, CPU) on `texts` with the given pooling. */
export async function featureExtraction(
  model: string,
  texts: string[],
  pooling: { pooling: 'mean' | 'cls'; normalize: boolean },
  dtype: 'fp32' | 'q8' | 'int8' | 'uint8' | 'fp16' = 'fp32',
): Promise<{ dims: number[]; data: Float32Array }> {
  const extractor = await pipeline('feature-extraction', model, { dtype, device: 'cpu' });
  try {
    const out = await extractor(texts, pooling);
    return { dims: out.dims, data: out.data as Float32Array };
  } finally {
    await extractor.dispose();
  }
}

/** AutoTokenizer (padding, truncation) + AutoModel (fp32, CPU): the sentence_embedding output for `texts`. */
export async function autoModelEmbeddings(model: string, texts: string[]): Promise<Float32Array> {
  const tokenizer = await AutoTokenizer.from_pretrained(model);
  const auto = await AutoModel.from_pretrained(model, { dtype: 'fp32', device: 'cpu' });
  try {
    return (await auto(tokenizer(texts, { padding: true, truncation: true }))).sentence_embedding.data as Float32Array;
  } finally {
    await auto.dispose();
  }
}
