import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { parseClipConfig } from '../../../src/training/models/clip/clipConfig.ts';
import { loadClipEncoder } from '../../../src/training/models/clip/loadClip.ts';
import { loadSentenceEncoder, modelTypeOf } from '../../../src/training/families/registry.ts';
import { randomClipWeights } from '../../../src/training/init/randomClip.ts';
import { readSafetensors, writeSafetensors } from '../../../src/training/weights/safetensors.ts';
import { makeTinyClip, randomPixels } from '../../helpers/clipFixture.ts';
import { memorySource } from '../../helpers/fixtures.ts';
import { maxAbsDiff } from '../../helpers/reference.ts';

async function folderFiles(dir: string): Promise<Record<string, string | Uint8Array>> {
  const names = [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.json',
    'merges.txt',
    'preprocessor_config.json',
  ];
  const files: Record<string, string | Uint8Array> = {};
  for (const n of names) files[n] = await readFile(path.join(dir, n), 'utf8');
  files['model.safetensors'] = new Uint8Array(await readFile(path.join(dir, 'model.safetensors')));
  return files;
}

describe('loadClipEncoder', () => {
  it('loads the tiny CLIP, round-trips its weights, and reports what it ignores', async () => {
    const dir = await makeTinyClip();
    const files = await folderFiles(dir);
    const original = readSafetensors(files['model.safetensors'] as Uint8Array);
    const extra = new Map(original);
    extra.set('text_model.embeddings.position_ids', { shape: [1, 24], data: new Float32Array(24) });
    extra.set('vision_model.embeddings.position_ids', { shape: [1, 17], data: new Float32Array(17) });
    extra.set('something.else', { shape: [2], data: new Float32Array(2) });
    const warnings: string[] = [];
    const enc = await loadClipEncoder(memorySource({ ...files, 'model.safetensors': writeSafetensors(extra) }, 'tiny'), {
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual(['tiny/model.safetensors: ignored 1 tensor(s) that are not part of CLIPModel: something.else']);
    const exported = await enc.model.exportWeights();
    expect([...exported.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, t] of original) {
      expect(exported.get(name)!.shape).toEqual(t.shape);
      expect(maxAbsDiff(exported.get(name)!.data, t.data)).toBe(0);
    }
    expect(exported.get('logit_scale')!.shape).toEqual([]);
    expect(exported.get('logit_scale')!.data[0]).toBeCloseTo(2.6592, 6);
    expect(Object.keys(enc.tokenizer.files).sort()).toEqual([
      'merges.txt',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.json',
    ]);
    expect([enc.maxTextLength, enc.imageConfig.cropHeight, enc.preprocessorConfig.image_processor_type]).toEqual([24, 32, 'CLIPImageProcessor']);
    enc.dispose();
  });

  it('names the missing tensor, the bad shape and the bad config field', async () => {
    const files = await folderFiles(await makeTinyClip());
    const weights = readSafetensors(files['model.safetensors'] as Uint8Array);
    const without = new Map(weights);
    without.delete('visual_projection.weight');
    await expect(loadClipEncoder(memorySource({ ...files, 'model.safetensors': writeSafetensors(without) }, 'm'))).rejects.toThrow(
      'm/model.safetensors: missing tensor(s) visual_projection.weight',
    );
    const bad = new Map(weights);
    bad.set('text_projection.weight', { shape: [16, 31], data: new Float32Array(16 * 31) });
    await expect(loadClipEncoder(memorySource({ ...files, 'model.safetensors': writeSafetensors(bad) }, 'm'))).rejects.toThrow(
      'm/model.safetensors: tensor "text_projection.weight" has shape [16,31] but the config needs [16,32]',
    );
    expect(() => parseClipConfig({ model_type: 'clip', vision_config: { hidden_size: 30, num_attention_heads: 4 } }, 'c.json')).toThrow(
      'c.json: vision_config: hidden_size 30 is not a multiple of num_attention_heads 4',
    );
    expect(() => parseClipConfig({ text_config: { hidden_act: 'relu' } }, 'c.json')).toThrow(
      'c.json: text_config.hidden_act: "relu" is not supported',
    );
    expect(() => parseClipConfig({ vision_config: { image_size: 30, patch_size: 8 } }, 'c.json')).toThrow(
      'image_size 30 is not a multiple of patch_size 8',
    );
    // partial sub-configs take transformers' defaults
    const c = parseClipConfig({ model_type: 'clip', text_config: { hidden_size: 64, num_attention_heads: 4 } });
    expect([
      c.text.vocab_size,
      c.text.max_position_embeddings,
      c.text.eos_token_id,
      c.vision.patch_size,
      c.projection_dim,
      c.logit_scale_init_value,
    ]).toEqual([49408, 77, 49407, 32, 512, 2.6592]);
  });

  it('falls back to CLIPImageProcessor defaults without preprocessor_config.json, and says so', async () => {
    const { 'preprocessor_config.json': _, ...files } = await folderFiles(await makeTinyClip());
    const warnings: string[] = [];
    const enc = await loadClipEncoder(memorySource(files, 'np'), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(['np: no preprocessor_config.json; using CLIPImageProcessor defaults for image_size 32']);
    expect([enc.imageConfig.shortestEdge, enc.imageConfig.cropWidth, enc.imageConfig.mean[0]]).toEqual([32, 32, 0.48145466]);
    enc.dispose();
  });

  it('is refused by loadSentenceEncoder with a pointer to the CLIP options; modelTypeOf reads model_type', async () => {
    const source = folderSource(await makeTinyClip());
    expect(await modelTypeOf(source)).toBe('clip');
    await expect(loadSentenceEncoder(source)).rejects.toThrow(/is a CLIP model: use it with --images \/ --loss clip/);
  });
});

describe('ClipEncoder', () => {
  it('encode / encodeImages return unit vectors in input order, independent of batching, without leaking tensors', async () => {
    const enc = await loadClipEncoder(folderSource(await makeTinyClip()));
    const texts = ['a much longer product title with many words', 'shoes', "women's red sneakers", 'kettle'];
    const px = randomPixels(3, 3, 3, 32);
    const images = [0, 1, 2].map((i) => px.data.slice(i * 3072, (i + 1) * 3072));
    const before = tf.memory().numTensors;
    const all = await enc.encode(texts);
    const single = await enc.encode(texts, { batchSize: 1 });
    const imgs = await enc.encodeImages(images, { batchSize: 2 });
    const one = await enc.encodeImages([images[2]!]);
    expect(tf.memory().numTensors).toBe(before);
    for (const v of [...all, ...imgs]) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    all.forEach((v, i) => expect(maxAbsDiff(v, single[i]!)).toBeLessThan(1e-5));
    expect(maxAbsDiff(imgs[2]!, one[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(all[0]!, all[1]!)).toBeGreaterThan(1e-2);
    // encode normalizes what embedTexts / embedPixels return unnormalized
    const raw = enc.embedTexts(['shoes'], { training: false });
    const rawData = raw.dataSync();
    expect(Math.abs(Math.hypot(...rawData) - 1)).toBeGreaterThan(1e-3);
    expect(
      maxAbsDiff(
        rawData.map((x) => x / Math.hypot(...rawData)),
        all[1]!,
      ),
    ).toBeLessThan(1e-5);
    raw.dispose();
    await expect(enc.encodeImages([new Float32Array(10)])).rejects.toThrow('encodeImages: image 0 has 10 values; the model needs 3x32x32 = 3072');
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(enc.encode(texts, { signal: ac.signal })).rejects.toThrow('encode aborted after 0 of 4 texts: stop');
    enc.dispose();
  });
});

describe('ClipModel locks and logit scale', () => {
  it('freezes towers the open_clip way and clamps logit_scale to [0, ln 100]', async () => {
    const enc = await loadClipEncoder(folderSource(await makeTinyClip()));
    const m = enc.model;
    const trainable = () => [...m.trainableParams().keys()];
    const count = (prefix: string) => trainable().filter((n) => n.startsWith(prefix)).length;
    expect(trainable().length).toBe(m.params.size);
    m.setLocks({ lockImage: true });
    expect(count('vision_model.') + count('visual_projection')).toBe(0);
    expect(trainable()).toContain('logit_scale');
    expect(count('text_model.')).toBe([...m.params.keys()].filter((n) => n.startsWith('text_model.')).length);
    m.setLocks({ lockImage: true, unlockedImageLayers: 1 });
    expect(
      trainable()
        .filter((n) => !n.startsWith('text_') && n !== 'logit_scale')
        .sort(),
    ).toEqual(
      [
        ...[...m.params.keys()].filter((n) => n.startsWith('vision_model.encoder.layers.1.')),
        'vision_model.post_layernorm.bias',
        'vision_model.post_layernorm.weight',
        'visual_projection.weight',
      ].sort(),
    );
    m.setLocks({ lockImage: true, unlockedImageLayers: 3 });
    expect(count('vision_model.embeddings.')).toBe(3);
    m.setLocks({ lockText: true, lockImage: true });
    expect(trainable()).toEqual([]);
    m.setLocks({ lockText: true, unlockedTextLayers: 2, lockImage: true });
    expect(count('text_model.embeddings.')).toBe(0);
    expect(trainable()).toContain('text_projection.weight');
    expect(trainable()).toContain('logit_scale');
    expect(() => m.setLocks({ unlockedTextLayers: 1 })).toThrow('ClipLocks.unlockedTextLayers = 1 only applies with lockText');
    m.setLocks({});
    expect(trainable().length).toBe(m.params.size);
    // the flag lives on the tf.Variable, so optimizers and variableGrads without an explicit list skip it
    m.setLocks({ lockText: true });
    expect(m.params.get('text_projection.weight')!.trainable).toBe(false);
    expect(m.params.get('visual_projection.weight')!.trainable).toBe(true);
    for (const [v, want] of [
      [5, Math.log(100)],
      [-1, 0],
      [1.5, 1.5],
    ]) {
      m.logitScale.assign(tf.scalar(v!));
      m.clampLogitScale();
      expect(m.logitScale.dataSync()[0]).toBeCloseTo(want!, 6);
    }
    enc.dispose();
  });
});

describe('randomClipWeights', () => {
  it('initialises as CLIPPreTrainedModel._init_weights: per-kind standard deviations, unit LayerNorms, zero biases', () => {
    const c = parseClipConfig({
      projection_dim: 32,
      text_config: {
        vocab_size: 300,
        hidden_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        intermediate_size: 128,
        max_position_embeddings: 16,
      },
      vision_config: { hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 256, image_size: 32, patch_size: 8 },
    });
    const w = randomClipWeights(c, { seed: 1 });
    const std = (name: string) => Math.sqrt(w.get(name)!.data.reduce((a, x) => a + x * x, 0) / w.get(name)!.data.length);
    const expected: [string, number][] = [
      ['text_model.embeddings.token_embedding.weight', 0.02],
      ['text_model.encoder.layers.0.self_attn.q_proj.weight', 64 ** -0.5 * 4 ** -0.5],
      ['text_model.encoder.layers.1.self_attn.out_proj.weight', 64 ** -0.5],
      ['text_model.encoder.layers.0.mlp.fc1.weight', 128 ** -0.5],
      ['vision_model.encoder.layers.3.mlp.fc2.weight', 128 ** -0.5 * 8 ** -0.5],
      ['vision_model.embeddings.class_embedding', 128 ** -0.5],
      ['vision_model.embeddings.patch_embedding.weight', 0.02],
      ['text_projection.weight', 64 ** -0.5],
      ['visual_projection.weight', 128 ** -0.5],
    ];
    for (const [name, s] of expected) expect(Math.abs(std(name) / s - 1), name).toBeLessThan(0.15);
    expect(w.get('vision_model.pre_layrnorm.weight')!.data.every((x) => x === 1)).toBe(true);
    expect(w.get('text_model.encoder.layers.0.mlp.fc1.bias')!.data.every((x) => x === 0)).toBe(true);
    expect(w.get('logit_scale')!.data[0]).toBeCloseTo(2.6592, 6);
  });
});
