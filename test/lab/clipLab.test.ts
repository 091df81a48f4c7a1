import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTinyClip } from '../helpers/clipFixture.ts';
import { clipCatalogue, clipLabData, memoryImageSet, type ClipCatalogue } from '../helpers/clipLabFixture.ts';
import { loadLabData, type LoadedLabData } from '../../src/lab/labData.ts';
import { PipelineSession } from '../../src/lab/pipelineSession.ts';
import { TrainerSession, type TrainerRequest } from '../../src/lab/trainerSession.ts';
import { memoryFiles } from '../../src/lab/modelSources.ts';
import { MemoryCheckpointStore } from '../../src/training/train/checkpoint.ts';
import { ImageRetrievalEvaluator } from '../../src/training/eval/imageRetrievalEvaluator.ts';
import { loadClipEncoder } from '../../src/training/models/clip/loadClip.ts';
import { preprocessClipImage } from '../../src/training/images/clipImageProcessor.ts';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';
import type { ModelFiles } from '../../src/training/export/modelFiles.ts';
import type { DeviceLimits } from '../../src/training/families/estimate.ts';
import { clipParameters, estimateClipRun } from '../../src/training/families/clip/estimateClip.ts';
import type { ClipShape } from '../../src/lab/api/clipRequest.ts';

const wasm: DeviceLimits = { backend: 'wasm' };
let files: ModelFiles;
let cat: ClipCatalogue;
let data: LoadedLabData;
const model = () => ({ kind: 'memory' as const, id: 'tiny-clip', files });

beforeAll(async () => {
  const dir = await makeTinyClip();
  files = new Map();
  for (const f of await readdir(dir)) files.set(f, new Uint8Array(await readFile(path.join(dir, f))));
  cat = clipCatalogue('http://images.test');
  data = loadLabData(clipLabData(cat));
});

async function checkedPipeline(fetched: string[] = []) {
  const p = new PipelineSession({ device: async () => wasm, imageSet: memoryImageSet(cat, fetched) });
  p.setData(clipLabData(cat));
  p.setImages({ kind: 'urls' });
  const summary = await p.checkImages();
  return { p, summary };
}

describe('the lab CLIP pipeline', () => {
  it('counts products with and without an image and lists each failure with its URL', async () => {
    const fetched: string[] = [];
    const { p, summary } = await checkedPipeline(fetched);
    expect(summary).toMatchObject({ products: 24, withImage: 23, withoutImage: 1, withoutImageIds: [cat.noFieldId], checked: 23, ok: 22 });
    expect(summary.failures).toEqual([{ key: cat.missingId, reason: `HTTP 404 for http://images.test/${cat.missingId}.png` }]);
    // a second check fetches nothing again
    const n = fetched.length;
    await p.checkImages();
    expect(fetched.length).toBe(n);
    p.dispose();
  });

  it('prepares unsupervised and supervised rows from products whose image loaded', async () => {
    const { p } = await checkedPipeline();
    const un = await p.prepare({ mode: 'clip-unsupervised' });
    expect(un.rows.length).toBe(22);
    expect(un.rows[0]).toEqual({ text: `${cat.products[0]!.title} ${cat.products[0]!.supplier} mouse pad`, image: cat.products[0]!.id });
    expect(un.rows.some((r) => r.image === cat.missingId || r.image === cat.noFieldId)).toBe(false);
    const sup = await p.prepare({ mode: 'clip-supervised', validation: 0.25, seed: 1 });
    expect(sup.validationQueries).toHaveLength(1);
    expect(sup.rows.every((r) => !sup.validationQueries!.includes(r.text))).toBe(true);
    expect(sup.warnings.join(' ')).toMatch(/no usable image/);
    p.dispose();
  });

  it('evaluates text→image retrieval exactly like ImageRetrievalEvaluator over the same images', async () => {
    const { p } = await checkedPipeline();
    await p.loadModel('baseline', model());
    const ours = await p.evaluate({ which: 'baseline' });
    const encoder = await loadClipEncoder(memoryFiles(files, 'tiny-clip'));
    const set = memoryImageSet(cat)((p as unknown as { images: { images: { set: { images: never } } } }).images.images.set.images);
    await set.check();
    const ids = data.ids.filter((id) => set.usable().includes(id));
    const ref = await new ImageRetrievalEvaluator(ids, set.provider(encoder.imageConfig), data.judgments!).evaluate(encoder);
    for (const [k, v] of Object.entries(ref.metrics)) expect(ours.metrics[k]).toBeCloseTo(v, 6);
    // one text→image evaluator for the lab and the CLI: the same warning as ImageRetrievalEvaluator gives
    expect(ours.warnings.join(' ')).toMatch(/4 judged product\(s\) have no image \(2 of them relevant\)/);
    expect(ours.warnings).toEqual(ref.warnings);
    encoder.dispose();
    p.dispose();
  });
});

describe('CLIP training and export in the lab', () => {
  it('trains through the shared loop, resumes bit-identically, and exports towers that match the lab in onnxruntime', async () => {
    const { p } = await checkedPipeline();
    await p.loadModel('baseline', model());
    const before = await p.evaluate({ which: 'baseline' });
    const prepared = await p.prepare({ mode: 'clip-unsupervised' });
    const req: TrainerRequest & { images: NonNullable<TrainerRequest['images']> } = {
      model: model(),
      rows: prepared.rows,
      images: prepared.images,
      checkpointEverySteps: 2,
      config: { loss: 'clip', batchSize: 8, steps: 6, lr: 5e-3, warmupRatio: 0, seed: 3 },
    };
    expect(req.images.entries).toHaveLength(22);
    const trainers: TrainerSession[] = [];
    const trainer = (store: MemoryCheckpointStore) => {
      const t = new TrainerSession({ device: async () => wasm, checkpointStore: () => store, imageSet: memoryImageSet(cat) });
      trainers.push(t);
      return t;
    };
    const tensors = tf.memory().numTensors;
    const full = await trainer(new MemoryCheckpointStore()).train('a', req);
    expect(full.status).toBe('done');
    expect(full.losses).toHaveLength(6);
    expect(full.losses.every(Number.isFinite)).toBe(true);

    // pause after the second step, then Resume: the same final weights as the uninterrupted run
    const store = new MemoryCheckpointStore();
    const ctrl = new AbortController();
    const t2 = trainer(store);
    const paused = await t2.train(
      'b',
      req,
      (e) => {
        if (e.type === 'step' && e.step === 2) ctrl.abort();
      },
      ctrl.signal,
    );
    expect(paused.status).toBe('paused');
    const resumed = await t2.train('b', req);
    expect(resumed.resumedFrom).toBe(paused.step);
    expect(Buffer.from(resumed.weights).equals(Buffer.from(full.weights))).toBe(true);

    await p.setTuned(full.weights, 'tuned');
    const after = await p.evaluate({ which: 'tuned' });
    expect(Object.keys(after.metrics).sort()).toEqual(Object.keys(before.metrics).sort());
    const baseHits = await p.search('gaming mouse pad', 10, 'baseline');
    const hits = await p.search('gaming mouse pad', 10, 'tuned');
    expect(hits).toHaveLength(10);
    expect(hits.filter((h) => h.rating !== undefined).length).toBeGreaterThan(0);
    // the tuned slot really serves the trained weights (the onnxruntime check below pins its scores exactly)
    expect(hits.map((h) => h.score)).not.toEqual(baseHits.map((h) => h.score));

    const zip = unzipSync(await trainer(store).exportZip('b', req, { name: 'tiny-clip-ft' }));
    expect(Object.keys(zip)).toEqual(
      expect.arrayContaining(['tiny-clip-ft/onnx/text_model.onnx', 'tiny-clip-ft/onnx/vision_model.onnx', 'tiny-clip-ft/model.safetensors']),
    );
    expect(Buffer.from(readSafetensors(zip['tiny-clip-ft/model.safetensors']!).get('logit_scale')!.data.buffer).length).toBe(4);

    // the exported towers reproduce the playground's scores (query text ↔ product image cosine)
    const tuned = await loadClipEncoder(memoryFiles(new Map([...files, ['model.safetensors', full.weights]]), 'tuned'));
    const text = await ort.InferenceSession.create(zip['tiny-clip-ft/onnx/text_model.onnx']!);
    const vision = await ort.InferenceSession.create(zip['tiny-clip-ft/onnx/vision_model.onnx']!);
    const x = tuned.toTextInputs(['gaming mouse pad']);
    const i64 = (t: tf.Tensor2D) => new ort.Tensor('int64', BigInt64Array.from(Array.from(t.dataSync(), BigInt)), t.shape);
    const q = (await text.run({ input_ids: i64(x.inputIds), attention_mask: i64(x.attentionMask) })).text_embeds!.data as Float32Array;
    tf.dispose([x.inputIds, x.attentionMask, x.eosOneHot]);
    const norm = (v: Float32Array) => {
      const n = Math.hypot(...v);
      return v.map((a) => a / n);
    };
    for (const h of hits) {
      const px = preprocessClipImage(cat.images.get(h.id)!, tuned.imageConfig);
      const img = (await vision.run({ pixel_values: new ort.Tensor('float32', px, [1, 3, 32, 32]) })).image_embeds!.data as Float32Array;
      const cos = norm(q).reduce((s, a, i) => s + a * norm(img)[i]!, 0);
      expect(Math.abs(cos - h.score)).toBeLessThan(1e-5);
    }
    tuned.dispose();
    p.dispose();
    for (const t of trainers) t.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
  }, 120_000);
});

describe('CLIP estimate and refusal', () => {
  const vitB32: ClipShape = {
    text: { hidden: 512, layers: 12, heads: 8, intermediate: 2048, vocabSize: 49408, maxLength: 77 },
    vision: { hidden: 768, layers: 12, heads: 12, intermediate: 3072, imageSize: 224, patchSize: 32 },
    projectionDim: 512,
  };

  it('counts the parameters of openai/clip-vit-base-patch32 exactly (transformers: 151,277,313)', () => {
    expect(clipParameters(vitB32).total).toBe(151_277_313);
  });

  it('fits ViT-B/32 at batch 8 on wasm, refuses it on a small WebGPU adapter and names the buffer; locking a tower saves memory', () => {
    const ok = estimateClipRun({ model: vitB32, batchSize: 8, rows: 100 }, wasm);
    expect(ok.fits).toBe(true);
    expect(ok.totalSteps).toBe(13);
    const small = estimateClipRun({ model: vitB32, batchSize: 8, rows: 100 }, { backend: 'webgpu', maxStorageBufferBindingSize: 64 * 2 ** 20 });
    expect(small.fits).toBe(false);
    expect(small.reason).toMatch(/token-embedding table needs a 97 MiB buffer/);
    const locked = estimateClipRun({ model: vitB32, batchSize: 8, rows: 100, lockText: true }, wasm);
    expect(locked.trainingBytes).toBeLessThan(ok.trainingBytes);
    const tiny = estimateClipRun({ model: vitB32, batchSize: 64, rows: 100 }, { backend: 'cpu', memoryBudgetBytes: 2 ** 30 });
    expect(tiny.fits).toBe(false);
    expect(tiny.reason).toMatch(/lock a tower/);
  });

  it('with GradCache, a batch of 256 pairs plain training cannot hold fits, at the largest mini-batch that does', () => {
    const budget = { backend: 'wasm' as const, memoryBudgetBytes: 3 * 2 ** 30 };
    const plain = estimateClipRun({ model: vitB32, batchSize: 256, rows: 2560 }, budget);
    const cached = estimateClipRun({ model: vitB32, batchSize: 256, rows: 2560, gradCache: true }, budget);
    expect(plain.fits).toBe(false);
    expect(cached).toMatchObject({ fits: true, totalSteps: 10 });
    expect(cached.miniBatchSize).toBeGreaterThanOrEqual(4);
    expect(cached.reason).toMatch(new RegExp(`batch 256 in mini-batches of ${cached.miniBatchSize}`));
    // the second forward of every mini-batch costs compute
    expect(cached.secondsPerStep).toBeGreaterThan(plain.secondsPerStep);
  });
});
