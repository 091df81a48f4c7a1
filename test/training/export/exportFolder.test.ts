import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../../src/cli/writeModelFiles.ts';
import { exportSentenceModel, type ModelCardInfo } from '../../../src/training/export/exportSentenceModel.ts';
import { bertParamSpecs } from '../../../src/training/models/bert/bertWeights.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { readSafetensors } from '../../../src/training/weights/safetensors.ts';
import { makeTinyModel } from '../../helpers/fixtures.ts';
import { checkOnnxModel, maxAbsDiff } from '../../helpers/onnx.ts';
import { int64Tensor, runOnnx } from '../../helpers/ortSession.ts';
import { addOnnxVariants } from '../../../src/training/export/onnxVariants.ts';
import { statSync } from 'node:fs';
import { autoModelEmbeddings, featureExtraction, listFiles, removeFolder, sentenceFiles, transformersJsRoot } from '../../helpers/transformersJs.ts';

const texts = ['Red running shoes for men', 'usb c cable', 'Café espresso machine with milk frother, stainless steel', 'mug'];
const card: ModelCardInfo = {
  baseModel: 'sentence-transformers/all-MiniLM-L6-v2',
  data: { name: 'products.jsonl', rows: 1234 },
  loss: 'MultipleNegativesRankingLoss',
  hyperparameters: { epochs: 1, learning_rate: 2e-5, batch_size: 16, fp16: false },
  metricsBefore: { 'ndcg@10': 0.41234, 'recall@100': 0.8 },
  metricsAfter: { 'ndcg@10': 0.56789, 'recall@100': 0.85 },
  modelId: 'acme/shoes-minilm',
};

let root: string;
let encoder: SentenceEncoder;

/** Exports into `<root>/<name>` (a valid Hub-style id, so transformers.js resolves it under localModelPath). */
async function exportTo(name: string, info: ModelCardInfo = card): Promise<string> {
  const dir = path.join(root, name);
  await writeModelFiles(dir, await exportSentenceModel(encoder, info));
  return dir;
}

const flat = (rows: Float32Array[]) => Float32Array.from(rows.flatMap((r) => [...r]));

async function ortSentence(dir: string, batch: ReturnType<SentenceEncoder['tokenizer']['encode']>): Promise<Float32Array> {
  const t = (a: Int32Array) => int64Tensor(a, [batch.batchSize, batch.seqLen]);
  const feeds = { input_ids: t(batch.inputIds), attention_mask: t(batch.attentionMask), token_type_ids: t(batch.tokenTypeIds) };
  return (await runOnnx(path.join(dir, 'onnx', 'model.onnx'), feeds)).sentence_embedding!.data as Float32Array;
}

beforeAll(async () => {
  root = await transformersJsRoot('ftlab-export-');
  encoder = await loadSentenceEncoder(folderSource(await makeTinyModel()));
});

afterAll(async () => {
  encoder?.dispose();
  await removeFolder(root);
});

describe('exportSentenceModel', () => {
  it('writes every file of a sentence-transformers + transformers.js + ONNX folder', async () => {
    const dir = await exportTo('full-folder');
    expect(await listFiles(dir)).toEqual(expect.arrayContaining([...sentenceFiles, 'vocab.txt', 'config_sentence_transformers.json']));
    expect((await stat(path.join(dir, '2_Normalize'))).isDirectory()).toBe(true);

    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertModel']);
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32' });
    expect(config.torch_dtype).toBe('float32');
    expect(config.hidden_size).toBe(32);
    const tokConfig = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(tokConfig.model_max_length).toBe(encoder.config.maxSeqLength);

    const onnxBytes = new Uint8Array(await readFile(path.join(dir, 'onnx', 'model.onnx')));
    expect(checkOnnxModel(onnxBytes)).toEqual([]);
  });

  it('stores bare BertModel names with [out, in] linear weights equal to the encoder', async () => {
    const dir = path.join(root, 'full-folder');
    const tensors = readSafetensors(new Uint8Array(await readFile(path.join(dir, 'model.safetensors'))));
    const specs = bertParamSpecs(encoder.model.config);
    expect([...tensors.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    for (const s of specs) expect(tensors.get(s.name)!.shape).toEqual(s.shape);
    const q = tensors.get('encoder.layer.1.attention.self.query.weight')!;
    const live = await encoder.model.params.get('encoder.layer.1.attention.self.query.weight')!.data();
    expect(maxAbsDiff(q.data, live as Float32Array)).toBe(0);
    expect(tensors.get('encoder.layer.0.intermediate.dense.weight')!.shape).toEqual([encoder.model.config.intermediate_size, 32]);
  });

  it('writes a model card with metadata, training summary, hyperparameters and before/after metrics', async () => {
    const readme = await readFile(path.join(root, 'full-folder', 'README.md'), 'utf8');
    const front = readme.split('---\n')[1]!;
    expect(front).toContain('library_name: sentence-transformers');
    expect(front).toContain('pipeline_tag: sentence-similarity');
    expect(front).toContain('base_model: "sentence-transformers/all-MiniLM-L6-v2"');
    expect(front).toMatch(/tags:\n- sentence-transformers/);
    expect(readme).toContain('`products.jsonl`: 1,234 training rows');
    expect(readme).toContain('MultipleNegativesRankingLoss');
    expect(readme).toContain('| learning_rate | 0.00002 |');
    expect(readme).toContain('| ndcg@10 | 0.4123 | 0.5679 | +0.1556 |');
    expect(readme).toContain('| recall@100 | 0.8000 | 0.8500 | +0.0500 |');
    expect(readme).toContain('SentenceTransformer("acme/shoes-minilm")');
    expect(readme).toContain("pipeline('feature-extraction', 'acme/shoes-minilm'");
    expect(readme).toContain('onnxruntime');
  });

  it('reloads in ftlab with identical embeddings', async () => {
    const again = await loadSentenceEncoder(folderSource(path.join(root, 'full-folder')));
    try {
      expect(again.config).toEqual(encoder.config);
      expect(maxAbsDiff(flat(await again.encode(texts)), flat(await encoder.encode(texts)))).toBe(0);
    } finally {
      again.dispose();
    }
  });

  it('onnx/model.onnx in onnxruntime matches the tfjs encoder on a padded batch', async () => {
    const batch = encoder.tokenizer.encode(texts, encoder.config.maxSeqLength);
    expect(batch.attentionMask.includes(0)).toBe(true);
    const diff = maxAbsDiff(await ortSentence(path.join(root, 'full-folder'), batch), flat(await encoder.encode(texts)));
    expect(diff).toBeLessThan(1e-5);
  });

  it('transformers.js feature-extraction (mean, normalize) and AutoModel sentence_embedding match the tfjs encoder', async () => {
    const expected = flat(await encoder.encode(texts));
    const out = await featureExtraction('full-folder', texts, { pooling: 'mean', normalize: true });
    expect(out.dims).toEqual([texts.length, 32]);
    expect(maxAbsDiff(out.data, expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await autoModelEmbeddings('full-folder', texts), expected)).toBeLessThan(1e-5);
  });

  it('the q8, int8, uint8 and fp16 variants load in transformers.js by dtype and onnxruntime, close to float32', async () => {
    const files = await exportSentenceModel(encoder, card);
    addOnnxVariants(files, ['fp32', 'q8', 'int8', 'uint8', 'fp16']);
    const dir = path.join(root, 'variants');
    await writeModelFiles(dir, files);
    expect(await listFiles(dir)).toEqual(
      expect.arrayContaining([
        'onnx/model.onnx',
        'onnx/model_quantized.onnx',
        'onnx/model_int8.onnx',
        'onnx/model_uint8.onnx',
        'onnx/model_fp16.onnx',
      ]),
    );
    const expected = await encoder.encode(texts);
    for (const dtype of ['q8', 'int8', 'uint8', 'fp16'] as const) {
      const out = await featureExtraction('variants', texts, { pooling: 'mean', normalize: true }, dtype);
      const cos = expected.map((e, r) => e.reduce((s, v, i) => s + v * out.data[r * 32 + i]!, 0));
      expect(Math.min(...cos), dtype).toBeGreaterThan(dtype === 'fp16' ? 0.9999 : 0.99);
      expect(Math.min(...cos), dtype).toBeLessThan(1 - 1e-9); // a different graph, not the float32 one
    }
    // this tiny model's float32 position table (512 × 32, sliced rather than looked up) is a third of its weights
    expect(statSync(path.join(dir, 'onnx/model_quantized.onnx')).size).toBeLessThan(0.6 * statSync(path.join(dir, 'onnx/model.onnx')).size);
  });

  it('exports max pooling without Normalize consistently across ftlab, onnxruntime and transformers.js', async () => {
    const saved = encoder.config;
    encoder.config = { ...saved, pooling: 'max', normalize: false };
    try {
      const dir = await exportTo('max-pooling', { baseModel: './local/base-model' });
      const modules = JSON.parse(await readFile(path.join(dir, 'modules.json'), 'utf8'));
      expect(modules.map((m: { type: string }) => m.type.split('.').at(-1))).toEqual(['Transformer', 'Pooling']);
      const pooling = JSON.parse(await readFile(path.join(dir, '1_Pooling', 'config.json'), 'utf8'));
      expect(pooling.pooling_mode_max_tokens).toBe(true);
      const readme = await readFile(path.join(dir, 'README.md'), 'utf8');
      expect(readme).not.toContain('base_model:'); // a local path is no Hub reference
      expect(readme).toContain('sentence_embedding');

      const expected = flat(await encoder.encode(texts));
      const batch = encoder.tokenizer.encode(texts, encoder.config.maxSeqLength);
      expect(maxAbsDiff(await ortSentence(dir, batch), expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(await autoModelEmbeddings('max-pooling', texts), expected)).toBeLessThan(1e-5);
      const reloaded = await loadSentenceEncoder(folderSource(dir));
      try {
        expect(reloaded.config).toEqual(encoder.config);
      } finally {
        reloaded.dispose();
      }
    } finally {
      encoder.config = saved;
    }
  });
});
