import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../../src/cli/writeModelFiles.ts';
import { exportSentenceModel } from '../../../src/training/export/exportSentenceModel.ts';
import { addOnnxVariants } from '../../../src/training/export/onnxVariants.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { truncateRows } from '../../../src/training/models/truncateDim.ts';
import { loadOnnxTextEmbedder } from '../../../src/cli/serve/onnxTextEmbedder.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';
import { checkOnnxModel, maxAbsDiff } from '../../helpers/onnx.ts';
import { int64Tensor, runOnnx } from '../../helpers/ortSession.ts';
import { featureExtraction, removeFolder, transformersJsRoot } from '../../helpers/transformersJs.ts';

/**
 * Matryoshka truncate_dim end to end: the exported ONNX graph's sentence_embedding equals the full
 * embedding truncated and re-normalized (≤ 1e-6), the folder loads back truncated in tfjs and in the
 * ONNX server, the 8-bit variant is truncated too, and the training forward keeps every dimension.
 */
const texts = tinyCorpus.slice(0, 7);
const D = 12; // of the tiny model's 32
let root: string;
let full: SentenceEncoder;
let dir: string;

const flat = (rows: Float32Array[]) => Float32Array.from(rows.flatMap((r) => [...r]));
const norms = (rows: Float32Array[]) => rows.map((r) => Math.hypot(...r));

beforeAll(async () => {
  root = await transformersJsRoot('ftlab-truncate-');
  full = await loadSentenceEncoder(folderSource(await makeTinyModel()));
  const cut = await loadSentenceEncoder(folderSource(await makeTinyModel()));
  cut.config = { ...cut.config, truncateDim: D };
  const files = await exportSentenceModel(cut, { baseModel: 'tiny' });
  addOnnxVariants(files, ['q8']);
  dir = path.join(root, 'cut');
  await writeModelFiles(dir, files);
  cut.dispose();
});

afterAll(async () => {
  full?.dispose();
  await removeFolder(root);
});

describe('Matryoshka truncate_dim', () => {
  it('truncateRows keeps the prefix and re-normalizes it', () => {
    const [r] = truncateRows([Float32Array.from([3, 4, 12])], 2, true);
    expect(Array.from(r!)).toEqual([0.6, 0.8].map((v) => Math.fround(v)));
    expect(Array.from(truncateRows([Float32Array.from([3, 4, 12])], 2, false)[0]!)).toEqual([3, 4]);
    expect(() => truncateRows([new Float32Array(3)], 4, true)).toThrow(/cannot truncate a 3-d embedding to 4/);
  });

  it('the exported graph returns the truncated, re-normalized embedding of the full model (≤ 1e-6)', async () => {
    const want = truncateRows(await full.encode(texts), D, true);
    const bytes = new Uint8Array(await readFile(path.join(dir, 'onnx/model.onnx')));
    expect(checkOnnxModel(bytes)).toEqual([]);
    const b = full.tokenizer.encode(texts, full.config.maxSeqLength);
    const t = (a: Int32Array) => int64Tensor(a, [b.batchSize, b.seqLen]);
    const out = await runOnnx(bytes, { input_ids: t(b.inputIds), attention_mask: t(b.attentionMask), token_type_ids: t(b.tokenTypeIds) });
    expect(out.sentence_embedding!.dims).toEqual([texts.length, D]);
    // last_hidden_state keeps the full width: transformers.js pools it and slices afterwards
    expect(out.last_hidden_state!.dims[2]).toBe(32);
    const diff = maxAbsDiff(out.sentence_embedding!.data as Float32Array, flat(want));
    console.log(`truncated ONNX vs truncated-then-normalized tfjs: max |diff| ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-6);
    const q8 = await runOnnx(path.join(dir, 'onnx/model_quantized.onnx'), {
      input_ids: t(b.inputIds),
      attention_mask: t(b.attentionMask),
      token_type_ids: t(b.tokenTypeIds),
    });
    expect(q8.sentence_embedding!.dims).toEqual([texts.length, D]);
  });

  it('loads back truncated: config, tfjs encode, the ONNX server; the training forward keeps every dimension', async () => {
    const config = JSON.parse(await readFile(path.join(dir, 'config_sentence_transformers.json'), 'utf8'));
    expect(config.truncate_dim).toBe(D);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toMatch(/truncate_dim=12/);
    const want = truncateRows(await full.encode(texts), D, true);
    const back = await loadSentenceEncoder(folderSource(dir));
    try {
      expect(back.config.truncateDim).toBe(D);
      const got = await back.encode(texts);
      expect(got.every((r) => r.length === D)).toBe(true);
      expect(norms(got).every((n) => Math.abs(n - 1) < 1e-5)).toBe(true);
      expect(maxAbsDiff(flat(got), flat(want))).toBeLessThan(1e-5);
      const trainForward = back.embedTexts(texts.slice(0, 2), { training: false });
      expect(trainForward.shape).toEqual([2, 32]);
      trainForward.dispose();
    } finally {
      back.dispose();
    }
    const server = await loadOnnxTextEmbedder(folderSource(dir));
    try {
      expect(server.dimension).toBe(D);
      expect(maxAbsDiff(flat(await server.embed(texts)), flat(want))).toBeLessThan(1e-5);
    } finally {
      await server.release();
    }
  });

  it('transformers.js pools the full width; its first D dimensions re-normalized equal the graph', async () => {
    const want = truncateRows(await full.encode(texts), D, true);
    const tjs = await featureExtraction('cut', texts, { pooling: 'mean', normalize: true });
    expect(tjs.dims).toEqual([texts.length, 32]);
    const rows = Array.from({ length: texts.length }, (_, i) => tjs.data.slice(i * 32, (i + 1) * 32));
    expect(maxAbsDiff(flat(truncateRows(rows, D, true)), flat(want))).toBeLessThan(1e-5);
  });

  it('refuses a truncate_dim beyond the hidden size, naming the file and field, and leaks no tensor', async () => {
    const bad = path.join(root, 'bad');
    await writeModelFiles(bad, await exportSentenceModel(full, { baseModel: 'tiny' }));
    const file = path.join(bad, 'config_sentence_transformers.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), truncate_dim: 64 }));
    await expect(loadSentenceEncoder(folderSource(bad))).rejects.toThrow(
      /config_sentence_transformers\.json: truncate_dim must be an integer from 1 to the model's hidden size 32, got 64/,
    );
    const before = tf.memory().numTensors;
    const back = await loadSentenceEncoder(folderSource(dir));
    const params = tf.memory().numTensors;
    await back.encode(texts);
    expect(tf.memory().numTensors).toBe(params);
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
