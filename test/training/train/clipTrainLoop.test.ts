import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../../src/cli/writeModelFiles.ts';
import type { ClipRow } from '../../../src/training/data/clipRows.ts';
import { cachingImageProvider } from '../../../src/training/images/cachingImageProvider.ts';
import { ImageUnavailableError, type ImageProvider } from '../../../src/training/images/imageProvider.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import { loadClipEncoder } from '../../../src/training/models/clip/loadClip.ts';
import type { ClipEncoder } from '../../../src/training/models/clip/clipEncoder.ts';
import { initClipModel } from '../../../src/training/init/initClipModel.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { clipTrainable } from '../../../src/training/families/clip/clipTrainable.ts';
import { MemoryCheckpointStore } from '../../../src/training/train/checkpoint.ts';
import { train } from '../../../src/training/train/trainLoop.ts';
import { tempDir } from '../../helpers/cli.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';

const rows: ClipRow[] = tinyCorpus.slice(0, 8).map((text, i) => ({ text, image: `p${i}` }));
const size = 3 * 16 * 16;
/** deterministic "photos": each product's pixels from its own seed */
function pixelsOf(key: string): Float32Array {
  const r = new Rng(Number(key.slice(1)) + 1);
  return Float32Array.from({ length: size }, () => r.normal());
}
function provider(load: (key: string, signal?: AbortSignal) => Promise<Float32Array> = async (k) => pixelsOf(k)): ImageProvider {
  return cachingImageProvider(
    rows.map((r) => r.image),
    load,
  );
}

let dir = '';
beforeAll(async () => {
  dir = tempDir('ftlab-clip-loop-');
  await writeModelFiles(
    dir,
    initClipModel({
      texts: tinyCorpus,
      merges: 60,
      textHidden: 16,
      textLayers: 2,
      textHeads: 2,
      visionHidden: 16,
      visionLayers: 2,
      visionHeads: 2,
      projectionDim: 8,
      maxTextLength: 24,
      imageSize: 16,
      patchSize: 8,
      seed: 3,
      perturbAll: true,
    }),
  );
});
const load = () => loadClipEncoder(folderSource(dir));

const snapshot = (enc: ClipEncoder) => new Map([...enc.model.params].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));
const changed = (a: Float32Array, b: Float32Array) => a.some((x, i) => x !== b[i]);

/** loss over all rows in one batch, no gradient */
async function fullLoss(enc: ClipEncoder): Promise<number> {
  const t = clipTrainable(enc, provider());
  const batch = await t.prepareBatch!(rows);
  const v = tf.tidy(() => createLoss('clip').compute(t, rows, { training: false, seed: 0, batch }).dataSync()[0]!);
  batch.pixels!.dispose();
  return v;
}

describe('train with the clip loss', () => {
  it('lowers the loss, clamps the logit scale, skips decay on ndim<2 and logit_scale, and holds memory steady', async () => {
    const enc = await load();
    tf.tidy(() => enc.model.logitScale.assign(tf.scalar(5))); // above ln 100: the first afterStep must clamp it
    const before = tf.memory().numTensors;
    const lossBefore = await fullLoss(enc);
    const counts: number[] = [];
    const scales: number[] = [];
    const t = clipTrainable(enc, provider());
    const res = await train(
      t,
      rows,
      { loss: 'clip', batchSize: 4, steps: 24, lr: 3e-3, warmupSteps: 2, weightDecay: 0.1, seed: 1 },
      {
        onEvent: (e) => {
          if (e.type !== 'step') return;
          counts.push(tf.memory().numTensors);
          scales.push(enc.model.logitScale.dataSync()[0]!);
        },
      },
    );
    expect(res.step).toBe(24);
    expect(await fullLoss(enc)).toBeLessThan(lossBefore * 0.7);
    expect(Math.max(...scales)).toBeLessThanOrEqual(Math.log(100) + 1e-6);
    expect(scales[0]).toBeCloseTo(Math.log(100), 6); // step 1 runs at lr 0 (warmup): only the clamp moved it
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(['logit_scale', 'vision_model.embeddings.class_embedding', 'text_model.final_layer_norm.weight'].every((n) => t.noDecay!(n))).toBe(true);
    expect(['visual_projection.weight', 'text_model.embeddings.token_embedding.weight'].some((n) => t.noDecay!(n))).toBe(false);
    enc.dispose();
  });

  it('lock-image freezes the vision tower except its last unlocked layer', async () => {
    for (const [unlocked, trainsLayer0] of [
      [0, false],
      [1, false],
    ] as const) {
      const enc = await load();
      const start = snapshot(enc);
      await train(clipTrainable(enc, provider()), rows, {
        loss: 'clip',
        batchSize: 4,
        steps: 3,
        lr: 1e-2,
        lockImage: true,
        unlockedImageLayers: unlocked || undefined,
      });
      const end = snapshot(enc);
      const moved = (n: string) => changed(start.get(n)!, end.get(n)!);
      expect(moved('text_model.encoder.layers.0.mlp.fc1.weight')).toBe(true);
      expect(moved('vision_model.embeddings.patch_embedding.weight')).toBe(false);
      expect(moved('vision_model.encoder.layers.0.mlp.fc1.weight')).toBe(trainsLayer0);
      expect(moved('vision_model.encoder.layers.1.mlp.fc1.weight')).toBe(unlocked === 1);
      expect(moved('visual_projection.weight')).toBe(unlocked === 1);
      expect(moved('logit_scale')).toBe(true);
      enc.dispose();
    }
  });

  it('a run stopped mid-way and resumed from its checkpoint ends with the same weights', async () => {
    const config = { loss: 'clip' as const, batchSize: 3, steps: 6, lr: 5e-3, warmupSteps: 1, scheduler: 'cosine' as const, seed: 9 };
    const straight = await load();
    await train(clipTrainable(straight, provider()), rows, config);
    const want = snapshot(straight);
    straight.dispose();

    const store = new MemoryCheckpointStore();
    const ac = new AbortController();
    const first = await load();
    const r1 = await train(clipTrainable(first, provider()), rows, config, {
      store,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 4) ac.abort();
      },
    });
    expect(r1).toMatchObject({ stopped: 'aborted', step: 4 });
    first.dispose();
    const second = await load();
    const r2 = await train(clipTrainable(second, provider()), rows, config, { store, resume: await store.loadLatest() });
    expect(r2.step).toBe(6);
    for (const [name, w] of snapshot(second)) expect(changed(w, want.get(name)!), name).toBe(false);
    await expect(train(clipTrainable(second, provider()), rows, { ...config, lockText: true }, { resume: await store.loadLatest() })).rejects.toThrow(
      /resume: lockText is true but the checkpoint used false/,
    );
    second.dispose();
  });

  it('an abort while the batch images load stops without consuming the batch', async () => {
    const enc = await load();
    const ac = new AbortController();
    let loads = 0;
    const slow = provider(async (key, signal) => {
      if (++loads === 6) {
        ac.abort(); // the user stops while step 2's images are being decoded
        await new Promise((r) => setTimeout(r, 5));
        signal?.throwIfAborted();
      }
      return pixelsOf(key);
    });
    const store = new MemoryCheckpointStore();
    const res = await train(clipTrainable(enc, slow), rows, { loss: 'clip', batchSize: 4, steps: 4, lr: 1e-3 }, { signal: ac.signal, store });
    expect(res).toMatchObject({ stopped: 'aborted', step: 1 });
    const saved = await store.loadLatest();
    expect(saved).toMatchObject({ step: 1, batchInEpoch: 1 });
    enc.dispose();
  });

  it('names the image that fails to load, and refuses clip training without images or locks on a text model', async () => {
    const enc = await load();
    const broken = provider(async (key) => {
      if (key === 'p5') throw new ImageUnavailableError(key, 'p5.png: unsupported image format');
      return pixelsOf(key);
    });
    await expect(train(clipTrainable(enc, broken), rows, { loss: 'clip', batchSize: 4, steps: 2, lr: 1e-3, shuffle: false })).rejects.toThrow(
      /image "p5" could not be loaded: p5\.png: unsupported image format/,
    );
    const { prepareBatch: _p, ...noImages } = clipTrainable(enc, provider());
    await expect(train(noImages, rows, { loss: 'clip', steps: 1 })).rejects.toThrow(/loss clip needs a CLIP encoder with an image source/);
    enc.dispose();
    const text = await loadSentenceEncoder(folderSource(await makeTinyModel()));
    await expect(train(text, [{ query: 'a', positive: 'b' }], { loss: 'mnrl', steps: 1, lockImage: true })).rejects.toThrow(
      /lockImage: tower locks apply to the clip loss only/,
    );
    text.dispose();
  });
});
