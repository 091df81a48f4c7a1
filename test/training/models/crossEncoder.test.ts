import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, writeFile, cp } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AutoTokenizer } from '@huggingface/transformers';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { initModel } from '../../../src/training/init/initModel.ts';
import { nodeOnnxRuntime } from '../../../src/cli/ortNodeRuntime.ts';
import { useOnnxRuntime, type OnnxRuntime } from '../../../src/training/inference/onnxRuntime.ts';
import { loadCrossEncoder, type TfjsCrossEncoder } from '../../../src/training/models/crossEncoder.ts';
import type { EncodedBatch } from '../../../src/training/models/tokenizer.ts';
import { readSafetensors } from '../../../src/training/weights/safetensors.ts';
import { runCli } from '../../helpers/cli.ts';
import { crossEncoderReference, makeTinyCrossEncoder } from '../../helpers/crossEncoderFixture.ts';
import { makeTinyModel, tinyTrainingCorpus } from '../../helpers/fixtures.ts';
import { checkOnnxModel, maxAbsDiff } from '../../helpers/onnx.ts';
import type { TokenBatch } from '../../helpers/reference.ts';
import { webOnnxRuntimeForNode } from '../../helpers/ortSession.ts';
import { removeFolder, transformersJsRoot } from '../../helpers/transformersJs.ts';

const pairs: [string, string][] = [
  ['running shoes', 'Red running shoes for men, size 42'],
  ['usb c cable', 'Fast charger 65W USB-C power adapter'],
  ['coffee machine', 'Café espresso machine with milk frother'],
  ['water bottle for kids', 'Insulated water bottle, keeps drinks cold 24h'],
  ['leather wallet men', "Men's leather wallet with RFID blocking"],
  // long enough to be cut by longest_first at maxLength 24
  ['cheap black over-ear headphones foldable', 'Wireless bluetooth headphones with noise cancelling, over-ear, foldable, black, 40h battery'],
  ['mug', 'Ceramic coffee mug 350ml'],
];

const toBatch = (e: EncodedBatch): TokenBatch => {
  const rows = (a: Int32Array) => Array.from({ length: e.batchSize }, (_, i) => [...a.subarray(i * e.seqLen, (i + 1) * e.seqLen)]);
  return { input_ids: rows(e.inputIds), attention_mask: rows(e.attentionMask), token_type_ids: rows(e.tokenTypeIds) };
};

let root: string;
let ceDir: string;
let ce: TfjsCrossEncoder;

beforeAll(async () => {
  root = await transformersJsRoot('ftlab-ce-test-');
  ceDir = await makeTinyCrossEncoder();
  ce = (await loadCrossEncoder(folderSource(ceDir), { maxLength: 24 })) as TfjsCrossEncoder;
});

afterAll(async () => {
  ce?.dispose();
  await removeFolder(root);
});

describe('initModel BertForSequenceClassification', () => {
  it('writes a Hugging Face cross-encoder: bert.* weights with pooler, classifier, labels in config.json', async () => {
    const config = JSON.parse(await readFile(path.join(ceDir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'LABEL_0' });
    expect(config.label2id).toEqual({ LABEL_0: 0 });
    const tensors = readSafetensors(new Uint8Array(await readFile(path.join(ceDir, 'model.safetensors'))));
    expect(tensors.get('classifier.weight')!.shape).toEqual([1, 32]);
    expect(tensors.get('classifier.bias')!.shape).toEqual([1]);
    expect(tensors.get('bert.pooler.dense.weight')!.shape).toEqual([32, 32]);
    expect([...tensors.keys()].every((n) => n.startsWith('bert.') || n.startsWith('classifier.'))).toBe(true);
    const three = initModel({
      texts: tinyTrainingCorpus,
      hidden: 16,
      layers: 1,
      heads: 2,
      architecture: 'BertForSequenceClassification',
      numLabels: 3,
    });
    expect(JSON.parse(three.get('config.json') as string).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(three.has('modules.json')).toBe(false);
  });
});

describe('tfjs cross-encoder', () => {
  it('matches the float64 numpy BertForSequenceClassification within 1e-5, in input order, without leaks', async () => {
    const batch = ce.tokenizer.encodePairs(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
      ce.maxLength,
    );
    expect(batch.seqLen).toBe(24); // the long pair was truncated
    expect(batch.attentionMask.includes(0)).toBe(true);
    const typesZeroed = { ...toBatch(batch), token_type_ids: toBatch(batch).token_type_ids.map((r) => r.map(() => 0)) };
    const [ref, refNoTypes] = crossEncoderReference(ceDir, [toBatch(batch), typesZeroed]);
    const expected = ref!.map((r) => r[0]!);
    await ce.score(pairs.slice(0, 2)); // warm-up allocations
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const scores = await ce.score(pairs, { batchSize: 3, onProgress: (d) => progress.push(d) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([3, 6, 7]);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    // the tolerance is tight enough to see a token-type mistake, and scores differ between pairs
    expect(
      maxAbsDiff(
        scores,
        refNoTypes!.map((r) => r[0]!),
      ),
    ).toBeGreaterThan(1e-4);
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3);
    expect(ce.engine).toBe('tfjs (no onnxruntime here)');
  });

  it('scores the chosen logit of a multi-label model and rejects a label out of range', async () => {
    const dir = await makeTinyCrossEncoder({ numLabels: 3, seed: 7 });
    const multi = (await loadCrossEncoder(folderSource(dir), { label: 2 })) as TfjsCrossEncoder;
    try {
      const batch = multi.tokenizer.encodePairs(
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
        multi.maxLength,
      );
      const [ref] = crossEncoderReference(dir, [toBatch(batch)]);
      expect(
        maxAbsDiff(
          await multi.score(pairs),
          ref!.map((r) => r[2]!),
        ),
      ).toBeLessThan(1e-5);
    } finally {
      multi.dispose();
    }
    await expect(loadCrossEncoder(folderSource(dir), { label: 3 })).rejects.toThrow(/label 3 is out of range.*3 logits/);
  });

  it('stops between batches when aborted', async () => {
    const ctrl = new AbortController();
    const run = ce.score(pairs, { batchSize: 2, signal: ctrl.signal, onProgress: () => ctrl.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: expect.stringMatching(/after 2 of 7 pairs/) });
  });

  it('refuses a bi-encoder folder and a classifier config without classifier weights, naming the file', async () => {
    const bi = await makeTinyModel();
    await expect(loadCrossEncoder(folderSource(bi))).rejects.toThrow(/config\.json: architectures \["BertModel"\]: not a cross-encoder/);
    await expect(loadCrossEncoder(folderSource(bi), { backend: 'onnx' })).rejects.toThrow(/not a cross-encoder/);
    const fake = path.join(root, 'fake-ce');
    await cp(bi, fake, { recursive: true });
    const config = JSON.parse(await readFile(path.join(fake, 'config.json'), 'utf8'));
    await writeFile(path.join(fake, 'config.json'), JSON.stringify({ ...config, architectures: ['BertForSequenceClassification'] }));
    await expect(loadCrossEncoder(folderSource(fake))).rejects.toThrow(/model\.safetensors: missing .*classifier\.weight/);
  });
});

describe('cross-encoder scoring on onnxruntime', () => {
  const scoreWith = async (runtime: OnnxRuntime, label = 0, dir = ceDir) => {
    useOnnxRuntime(runtime);
    const warnings: string[] = [];
    const c = (await loadCrossEncoder(folderSource(dir), { maxLength: 24, label, onWarning: (w) => warnings.push(w) })) as TfjsCrossEncoder;
    try {
      const scores = await c.score(pairs, { batchSize: 3 });
      return { scores, engine: c.engine, warnings };
    } finally {
      c.dispose();
      useOnnxRuntime(undefined);
    }
  };

  for (const [name, runtime] of [
    ['onnxruntime-node', () => nodeOnnxRuntime(2)],
    ['onnxruntime-web', webOnnxRuntimeForNode],
  ] as const) {
    it(`${name} scores the in-memory graph of the loaded weights like tfjs (≤ 1e-5), the chosen logit of a multi-label model too`, async () => {
      const ort = await scoreWith(runtime());
      expect(ort.engine).toMatch(/^onnxruntime-(node|web)/);
      expect(ort.warnings).toEqual([]);
      expect(maxAbsDiff(ort.scores, await ce.score(pairs))).toBeLessThan(1e-5);
      const dir = await makeTinyCrossEncoder({ numLabels: 3, seed: 7 });
      const multi = (await loadCrossEncoder(folderSource(dir), { label: 2, maxLength: 24 })) as TfjsCrossEncoder;
      try {
        const ref = await multi.score(pairs);
        const ortMulti = await scoreWith(runtime(), 2, dir);
        expect(maxAbsDiff(ortMulti.scores, ref)).toBeLessThan(1e-5);
        expect(maxAbsDiff(ortMulti.scores, (await scoreWith(runtime(), 0, dir)).scores)).toBeGreaterThan(1e-4);
      } finally {
        multi.dispose();
      }
    });
  }

  it('falls back to tfjs, saying why once, when the runtime cannot open the graph', async () => {
    const broken: OnnxRuntime = {
      name: 'broken',
      createSession: () => Promise.reject(new Error('no wasm here')),
    };
    const r = await scoreWith(broken);
    expect(r.engine).toBe('tfjs (onnxruntime failed: no wasm here)');
    expect(r.warnings).toEqual(['onnxruntime unavailable for cross-encoder scoring (no wasm here); using tfjs']);
    expect(maxAbsDiff(r.scores, await ce.score(pairs))).toBe(0);
  });
});

describe('cross-encoder export', () => {
  it('ftlab export writes the transformers.js layout, whose ONNX model scores like tfjs (≤ 1e-5)', async () => {
    const out = path.join(root, 'exported');
    const res = await runCli(['export', '--model', ceDir, '--output', out]);
    expect(res.stderr).toContain('exported cross-encoder');
    expect(res.code).toBe(0);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32' });
    expect(JSON.parse(await readFile(path.join(out, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(128);
    expect(checkOnnxModel(new Uint8Array(await readFile(path.join(out, 'onnx', 'model.onnx'))))).toEqual([]);
    const orig = readSafetensors(new Uint8Array(await readFile(path.join(ceDir, 'model.safetensors'))));
    const again = readSafetensors(new Uint8Array(await readFile(path.join(out, 'model.safetensors'))));
    expect([...again.keys()].sort()).toEqual([...orig.keys()].sort());
    expect(maxAbsDiff(again.get('classifier.weight')!.data, orig.get('classifier.weight')!.data)).toBe(0);

    // transformers.js' own pair encoding agrees with ours when nothing is truncated
    const short = pairs.filter((_, i) => i !== 5);
    const hfTok = await AutoTokenizer.from_pretrained(out);
    const theirs = hfTok(
      short.map((p) => p[0]),
      { text_pair: short.map((p) => p[1]), padding: true, return_tensor: false },
    ) as unknown as TokenBatch;
    const ours = toBatch(
      ce.tokenizer.encodePairs(
        short.map((p) => p[0]),
        short.map((p) => p[1]),
        128,
      ),
    );
    expect(ours).toEqual(theirs);

    const onnx = await loadCrossEncoder(folderSource(out), { backend: 'onnx', maxLength: 24, device: 'cpu' });
    try {
      expect(maxAbsDiff(await onnx.score(pairs, { batchSize: 4 }), await ce.score(pairs))).toBeLessThan(1e-5);
    } finally {
      onnx.dispose();
    }
  });
});
