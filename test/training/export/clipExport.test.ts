import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  RawImage,
  Tensor,
} from '@huggingface/transformers';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../../src/cli/writeModelFiles.ts';
import { buildClipTextOnnx, buildClipVisionOnnx } from '../../../src/training/export/clipOnnx.ts';
import { exportClipModel } from '../../../src/training/export/exportClipModel.ts';
import { preprocessClipImage } from '../../../src/training/images/clipImageProcessor.ts';
import type { ClipEncoder } from '../../../src/training/models/clip/clipEncoder.ts';
import { ClipModel } from '../../../src/training/models/clip/clipModel.ts';
import { clipTextInputs } from '../../../src/training/models/clip/clipTextInputs.ts';
import { clipParamSpecs } from '../../../src/training/models/clip/clipWeights.ts';
import { loadClipEncoder } from '../../../src/training/models/clip/loadClip.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { readSafetensors, type TensorMap } from '../../../src/training/weights/safetensors.ts';
import { makeTinyClip, tinyImage } from '../../helpers/clipFixture.ts';
import { checkOnnxModel, maxAbsDiff } from '../../helpers/onnx.ts';
import { int64Tensor, int64WebTensor, runOnnx, runOnnxWeb } from '../../helpers/ortSession.ts';
import { listFiles, removeFolder, transformersJsRoot } from '../../helpers/transformersJs.ts';
import { addOnnxVariants } from '../../../src/training/export/onnxVariants.ts';

// Different lengths (so rows are padded), accents, an empty text and one longer than maxTextLength (24): truncated, EOS last.
const texts = [
  'Red running shoes for men',
  'usb c cable',
  '',
  'Café espresso machine with milk frother, stainless steel',
  'mug',
  'wireless bluetooth headphones with noise cancelling and a long battery life, foldable, black, over-ear, 40h',
  'kids rain jacket',
];

// transformers.js truncates the finished sequence (dropping <|endoftext|>), so its parity test uses texts that fit.
const shortTexts = texts.filter((_, i) => i !== 3 && i !== 5);

let root: string;
let dir: string;
let encoder: ClipEncoder;
let weights: TensorMap;

/** Seeded pixel_values [B, 3, 32, 32] around the normalized range. */
function pixels(seed: number, B: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: B * 3 * 32 * 32 }, () => (rng.next() * 2 - 1) * 2);
}

function tfjsText(e: ClipEncoder, t: string[]): Float32Array {
  return tf.tidy(() => e.embedTexts(t, { training: false }).dataSync() as Float32Array);
}
function tfjsImage(e: ClipEncoder, px: Float32Array, B: number): Float32Array {
  return tf.tidy(() => e.embedPixels(tf.tensor4d(px, [B, 3, 32, 32]), { training: false }).dataSync() as Float32Array);
}

async function ortText(bytes: Uint8Array, e: ClipEncoder, t: string[]) {
  const b = e.tokenizer.encode(t, e.maxTextLength);
  const out = await runOnnx(bytes, {
    input_ids: int64Tensor(b.inputIds, [b.batchSize, b.seqLen]),
    attention_mask: int64Tensor(b.attentionMask, [b.batchSize, b.seqLen]),
  });
  return { embeds: out.text_embeds!.data as Float32Array, hiddenDims: [...out.last_hidden_state!.dims], batch: b };
}

beforeAll(async () => {
  root = await transformersJsRoot('ftlab-clip-export-');
  encoder = await loadClipEncoder(folderSource(await makeTinyClip()));
  weights = await encoder.model.exportWeights();
  dir = path.join(root, 'tiny-clip');
  await writeModelFiles(dir, await exportClipModel(encoder, { baseModel: 'openai/clip-vit-base-patch32', modelId: 'acme/tiny-clip', loss: 'clip' }));
});

afterAll(async () => {
  encoder?.dispose();
  await removeFolder(root);
});

describe('exportClipModel', () => {
  it('writes a CLIPModel folder: config, tokenizer, preprocessor, every CLIPModel weight, both ONNX towers, a model card', async () => {
    expect(await listFiles(dir)).toEqual([
      'README.md',
      'config.json',
      'merges.txt',
      'model.safetensors',
      'onnx',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.json',
    ]);
    const read = async (f: string) => JSON.parse(await readFile(path.join(dir, f), 'utf8'));
    const config = await read('config.json');
    expect(config).toMatchObject({
      model_type: 'clip',
      architectures: ['CLIPModel'],
      projection_dim: 16,
      torch_dtype: 'float32',
      'transformers.js_config': { dtype: 'fp32' },
      text_config: { hidden_size: 32, max_position_embeddings: 24 },
      vision_config: { image_size: 32, patch_size: 8 },
    });
    expect((await read('tokenizer_config.json')).model_max_length).toBe(24);
    expect(await read('preprocessor_config.json')).toMatchObject({
      image_processor_type: 'CLIPImageProcessor',
      crop_size: { height: 32, width: 32 },
    });

    const saved = readSafetensors(new Uint8Array(await readFile(path.join(dir, 'model.safetensors'))));
    const specs = clipParamSpecs(encoder.model.config);
    expect([...saved.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    expect(saved.has('logit_scale') && saved.get('logit_scale')!.shape).toEqual([]);
    for (const s of specs) expect(saved.get(s.name)!.data, s.name).toEqual(weights.get(s.name)!.data);

    for (const f of ['text_model', 'vision_model'])
      expect(checkOnnxModel(new Uint8Array(await readFile(path.join(dir, `onnx/${f}.onnx`)))), f).toEqual([]);
    const card = await readFile(path.join(dir, 'README.md'), 'utf8');
    for (const s of [
      'base_model: "openai/clip-vit-base-patch32"',
      'CLIPTextModelWithProjection',
      'CLIPVisionModelWithProjection',
      'CLIPModel.from_pretrained',
      'finetuned_product_image_vector',
      '/ftclip/text/',
      'ftlab serve --model acme/tiny-clip',
      'vectorDimension` must be 16',
    ])
      expect(card).toContain(s);
  });

  it('reloads model.safetensors through loadClipEncoder to identical embeddings', async () => {
    const again = await loadClipEncoder(folderSource(dir));
    try {
      expect(tfjsText(again, texts)).toEqual(tfjsText(encoder, texts));
      expect(tfjsImage(again, pixels(3, 2), 2)).toEqual(tfjsImage(encoder, pixels(3, 2), 2));
      expect(again.maxTextLength).toBe(encoder.maxTextLength);
    } finally {
      again.dispose();
    }
  });

  it('names the weight that is missing or has the wrong shape', () => {
    const c = encoder.model.config;
    const broken: TensorMap = new Map(weights);
    broken.delete('text_model.encoder.layers.1.mlp.fc2.bias');
    expect(() => buildClipTextOnnx(c, broken)).toThrow(/text_model\.encoder\.layers\.1\.mlp\.fc2\.bias/);
    broken.set('visual_projection.weight', { shape: [16, 31], data: new Float32Array(16 * 31) });
    expect(() => buildClipVisionOnnx(c, broken)).toThrow(/"visual_projection\.weight" has shape \[16,31\] but the config needs \[16,32\]/);
  });
});

describe('CLIP ONNX towers match the tfjs model (onnxruntime-node)', () => {
  it.each([[1], [3], [7]])('text tower, %i texts padded to the longest', async (B) => {
    const before = tf.memory().numTensors;
    const t = texts.slice(texts.length - B);
    const bytes = buildClipTextOnnx(encoder.model.config, weights);
    const got = await ortText(bytes, encoder, t);
    expect(got.hiddenDims).toEqual([B, got.batch.seqLen, 32]);
    expect(maxAbsDiff(got.embeds, tfjsText(encoder, t))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([[1], [2], [5]])('vision tower, batch %i', async (B) => {
    const before = tf.memory().numTensors;
    const px = pixels(10 + B, B);
    const out = await runOnnx(buildClipVisionOnnx(encoder.model.config, weights), { pixel_values: new ort.Tensor('float32', px, [B, 3, 32, 32]) });
    expect([...out.last_hidden_state!.dims]).toEqual([B, 17, 32]);
    expect(maxAbsDiff(out.image_embeds!.data as Float32Array, tfjsImage(encoder, px, B))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applies the padding mask as well as the causal one (left-padded rows, where causality alone would not hide the pads)', async () => {
    const right = encoder.tokenizer.encode(shortTexts, encoder.maxTextLength);
    const { batchSize: B, seqLen: S } = right;
    const ids = new Int32Array(B * S);
    const mask = new Int32Array(B * S);
    for (let b = 0; b < B; b++) {
      const n = right.attentionMask.subarray(b * S, (b + 1) * S).reduce((a, x) => a + x, 0);
      // pads first (id 0: with the pad id, which is the eos id, HF would pool a pad), then the tokens
      ids.set(right.inputIds.subarray(b * S, b * S + n), b * S + S - n);
      mask.fill(1, b * S + S - n, (b + 1) * S);
    }
    const batch = { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(B * S), batchSize: B, seqLen: S };
    const want = tf.tidy(
      () => encoder.model.textFeatures(clipTextInputs(batch, encoder.model.config.text), { training: false }).dataSync() as Float32Array,
    );
    const bytes = buildClipTextOnnx(encoder.model.config, weights);
    const got = (await runOnnx(bytes, { input_ids: int64Tensor(ids, [B, S]), attention_mask: int64Tensor(mask, [B, S]) })).text_embeds!
      .data as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    const unmasked = (
      await runOnnx(bytes, { input_ids: int64Tensor(ids, [B, S]), attention_mask: int64Tensor(new Int32Array(B * S).fill(1), [B, S]) })
    ).text_embeds!.data as Float32Array;
    expect(maxAbsDiff(unmasked, want)).toBeGreaterThan(1e-3);
  });

  it('pools a legacy config (eos_token_id 2) at the first largest id, as HF does', async () => {
    const legacy = { ...encoder.model.config, text: { ...encoder.model.config.text, eos_token_id: 2 } };
    // token 2 comes before each row's largest id and no row holds the real eos id, so the largest-id rule matters
    const rows = [
      [5, 2, 40, 300, 7, 9],
      [11, 5, 2, 11, 250, 250],
      [4, 2, 90, 1, 1, 1],
    ];
    const mask = [
      [1, 1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0, 0],
    ];
    const ids = Int32Array.from(rows.flat());
    const batch = { inputIds: ids, attentionMask: Int32Array.from(mask.flat()), tokenTypeIds: new Int32Array(18), batchSize: 3, seqLen: 6 };
    const model = ClipModel.fromWeights(legacy, weights);
    const want = tf.tidy(() => model.textFeatures(clipTextInputs(batch, legacy.text), { training: false }).dataSync() as Float32Array);
    model.dispose();
    const feeds = { input_ids: int64Tensor(ids, [3, 6]), attention_mask: int64Tensor(batch.attentionMask, [3, 6]) };
    const got = (await runOnnx(buildClipTextOnnx(legacy, weights), feeds)).text_embeds!.data as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // the same ids through the eos-id graph (no eos in any row: HF pools position 0) give other vectors
    const byEosId = (await runOnnx(buildClipTextOnnx(encoder.model.config, weights), feeds)).text_embeds!.data as Float32Array;
    expect(maxAbsDiff(byEosId, want)).toBeGreaterThan(1e-2);
  });

  it('runs in onnxruntime-web (what transformers.js uses in browsers)', async () => {
    const b = encoder.tokenizer.encode(texts, encoder.maxTextLength);
    const web64 = (a: Int32Array) => int64WebTensor(a, [b.batchSize, b.seqLen]);
    const t = await runOnnxWeb(buildClipTextOnnx(encoder.model.config, weights), {
      input_ids: web64(b.inputIds),
      attention_mask: web64(b.attentionMask),
    });
    expect(maxAbsDiff(t.text_embeds!.data as Float32Array, tfjsText(encoder, texts))).toBeLessThan(1e-5);
    const v = await runOnnxWeb(buildClipVisionOnnx(encoder.model.config, weights), {
      pixel_values: new ortWeb.Tensor('float32', pixels(4, 3), [3, 3, 32, 32]),
    });
    expect(maxAbsDiff(v.image_embeds!.data as Float32Array, tfjsImage(encoder, pixels(4, 3), 3))).toBeLessThan(1e-5);
  });
});

describe('the q8 and fp16 variants of both towers', () => {
  it('load in transformers.js by dtype and stay close to the float32 embeddings', async () => {
    const files = await exportClipModel(encoder, { baseModel: 'openai/clip-vit-base-patch32' });
    addOnnxVariants(files, ['fp32', 'q8', 'fp16']);
    await writeModelFiles(path.join(root, 'clip-variants'), files);
    const cosine = (a: Float32Array, b: Float32Array, dim: number) =>
      Math.min(
        ...Array.from({ length: a.length / dim }, (_, r) => {
          let [d, na, nb] = [0, 0, 0];
          for (let i = 0; i < dim; i++) [d, na, nb] = [d + a[r * dim + i]! * b[r * dim + i]!, na + a[r * dim + i]! ** 2, nb + b[r * dim + i]! ** 2];
          return d / Math.sqrt(na * nb);
        }),
      );
    const px = pixels(7, 4);
    for (const dtype of ['q8', 'fp16'] as const) {
      const text = await CLIPTextModelWithProjection.from_pretrained('clip-variants', { dtype });
      const vision = await CLIPVisionModelWithProjection.from_pretrained('clip-variants', { dtype });
      try {
        const tokenizer = await AutoTokenizer.from_pretrained('clip-variants');
        const { text_embeds } = await text(tokenizer(shortTexts, { padding: true, truncation: true }));
        const { image_embeds } = await vision({ pixel_values: new Tensor('float32', px, [4, 3, 32, 32]) });
        const worst = [cosine(text_embeds.data, tfjsText(encoder, shortTexts), 16), cosine(image_embeds.data, tfjsImage(encoder, px, 4), 16)];
        expect(Math.min(...worst), dtype).toBeGreaterThan(dtype === 'fp16' ? 0.9999 : 0.99);
      } finally {
        await text.dispose();
        await vision.dispose();
      }
    }
  });
});

describe('transformers.js loads the exported folder from disk', () => {
  it('AutoTokenizer + CLIPTextModelWithProjection give the tfjs text embeddings', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('tiny-clip');
    const model = await CLIPTextModelWithProjection.from_pretrained('tiny-clip', { dtype: 'fp32' });
    try {
      const inputs = tokenizer(shortTexts, { padding: true, truncation: true });
      const ours = encoder.tokenizer.encode(shortTexts, encoder.maxTextLength);
      expect(Array.from(inputs.input_ids.data as BigInt64Array, Number)).toEqual(Array.from(ours.inputIds));
      expect(Array.from(inputs.attention_mask.data as BigInt64Array, Number)).toEqual(Array.from(ours.attentionMask));
      const { text_embeds } = await model(inputs);
      expect(text_embeds.dims).toEqual([shortTexts.length, 16]);
      expect(maxAbsDiff(text_embeds.data as Float32Array, tfjsText(encoder, shortTexts))).toBeLessThan(1e-5);
    } finally {
      await model.dispose();
    }
  });

  it('AutoProcessor + CLIPVisionModelWithProjection give the tfjs image embeddings', async () => {
    const processor = await AutoProcessor.from_pretrained('tiny-clip');
    const model = await CLIPVisionModelWithProjection.from_pretrained('tiny-clip', { dtype: 'fp32' });
    try {
      const px = pixels(7, 4);
      const { image_embeds } = await model({ pixel_values: new Tensor('float32', px, [4, 3, 32, 32]) });
      expect(maxAbsDiff(image_embeds.data as Float32Array, tfjsImage(encoder, px, 4))).toBeLessThan(1e-5);
      // a 32x32 image needs no resize or crop, so the processor reads preprocessor_config.json's rescale/normalize as ftlab does
      const img = tinyImage(5, 32, 32);
      const { pixel_values } = await processor(new RawImage(Uint8ClampedArray.from(img.data), 32, 32, 3));
      expect(pixel_values.dims).toEqual([1, 3, 32, 32]);
      const ours = preprocessClipImage(img, encoder.imageConfig);
      expect(maxAbsDiff(pixel_values.data as Float32Array, ours)).toBeLessThan(1e-6);
      const viaProcessor = (await model({ pixel_values })).image_embeds.data as Float32Array;
      expect(maxAbsDiff(viaProcessor, tfjsImage(encoder, ours, 1))).toBeLessThan(1e-5);
    } finally {
      await model.dispose();
    }
  });
});
