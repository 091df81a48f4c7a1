import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { downloadZip, loadFiles, openSnippet, startLabFlow, waitForResults, type LabFlow } from '../helpers/appServer.ts';
import { makeTinyClip } from '../helpers/clipFixture.ts';
import { runClipReferences, type ClipReferenceForward } from '../helpers/clipReference.ts';
import { clipCatalogue, type ClipCatalogue } from '../helpers/clipLabFixture.ts';
import { encodePng } from '../helpers/pngWriter.ts';
import { loadClipEncoder } from '../../src/training/models/clip/loadClip.ts';
import { memoryFiles } from '../../src/lab/modelSources.ts';
import { preprocessClipImage } from '../../src/training/images/clipImageProcessor.ts';

/**
 * Issue 5 in the lab: CLIP fine-tuning in headless Chromium, as a new user would. A tiny CLIP is served in Hub
 * layout and the catalogue's img_500x500 URLs point at generated PNGs on a local server (one answers 404 and
 * must be listed, one product has no image field). Unsupervised CLIP (product text ↔ product image) runs to
 * an exported zip; both exported towers run in onnxruntime-node and reproduce the scores the lab's own
 * "image vectors" playground shows. A second flow picks a local folder of images, trains supervised pairs
 * (judged query ↔ relevant product images, split by query) on a CLIP from scratch, fully offline.
 * Screenshots of every step: test-results/screenshots/clip-*.png.
 */

let flow: LabFlow;
let dir: string;
let cat: ClipCatalogue;
let imagesDir: string;
const files = { corpus: '', judgments: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-clip-flow-'));
  imagesDir = path.join(dir, 'images');
  await mkdir(imagesDir);
  const clip = await makeTinyClip();
  // the tiny CLIP also answers for the default curated id, so the default picker works offline
  flow = await startLabFlow('clip-', { 'fixtures/tiny-clip': clip, 'wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M': clip, 'images/catalogue': imagesDir });
  cat = clipCatalogue(`${flow.hub.endpoint}/images/catalogue/resolve/main`);
  for (const [id, img] of cat.images) await writeFile(path.join(imagesDir, `${id}.png`), encodePng(img.width, img.height, 'rgb', img.data));
  files.corpus = path.join(dir, 'clip-products.json');
  files.judgments = path.join(dir, 'clip-judgments.csv');
  await writeFile(files.corpus, JSON.stringify(cat.products));
  await writeFile(files.judgments, cat.judgmentsCsv);
}, 180_000);

afterAll(() => flow?.close());

const shot = (page: Page, name: string) => flow.shot(page, name);
const openLab = () => flow.open();

const loadData = (page: Page) => loadFiles(page, files);

/** Checks the images, returns the counts and the failure list as shown, and moves on to Configure in CLIP mode. */
async function checkImages(page: Page, prefix: string, ok: number): Promise<{ counts: string; failures: string }> {
  await page.getByRole('button', { name: 'Check the images' }).click();
  await expect.poll(() => page.getByTestId('images-ok').textContent(), { timeout: 60_000 }).toBe(String(ok));
  const counts = (await page.getByTestId('image-counts').textContent()) ?? '';
  // a second check reads every image back from IndexedDB: nothing is downloaded again
  await page.getByRole('button', { name: 'Check the images' }).click();
  await expect.poll(() => page.getByTestId('images-cached').textContent(), { timeout: 60_000 }).toBe(prefix === 'urls' ? String(ok) : '0');
  const list = page.getByTestId('image-failures');
  const failures = (await list.count()) ? ((await list.textContent()) ?? '') : '';
  await shot(page, `${prefix}-1-data`);
  await page.getByRole('button', { name: /Continue to Configure/ }).click();
  await page.getByLabel(/CLIP: product text ↔ product images/).check();
  return { counts, failures };
}

async function train(page: Page, prefix: string): Promise<void> {
  await page.getByLabel('Batch size').fill('8');
  await page.getByLabel('Max steps (empty = epochs)').fill('4');
  await page.getByLabel('Learning rate').fill('0.001');
  await shot(page, `${prefix}-2-configure`);
  await page.getByRole('button', { name: /Start fine-tuning/ }).click();
  await page.getByRole('heading', { name: /Step 3 Train/ }).waitFor();
  await waitForResults(page, () => shot(page, `${prefix}-3-train`));
  await page.getByRole('heading', { name: 'Before vs after' }).waitFor();
  // step 4's "Why" speaks of the CLIP integration: image vectors in their own field, queries on /ftclip/
  const why = (await page.getByRole('complementary', { name: 'Why this step' }).textContent()) ?? '';
  expect(why).toContain('/ftclip/text/');
  expect(why).toContain('finetuned_product_image_vector');
  expect(why).not.toContain('/ftbert/');
  await shot(page, `${prefix}-4-evaluate`);
}

async function search(page: Page, prefix: string, query: string): Promise<{ id: string; score: number }[]> {
  await page.getByRole('button', { name: query, exact: true }).click();
  await expect.poll(() => page.getByTestId('hits-tuned').locator('li').count(), { timeout: 60_000 }).toBe(10);
  expect(await page.getByTestId('hits-baseline').locator('li').count()).toBe(10);
  expect(await page.getByTestId('hits-tuned').locator('.mark').count()).toBe(10);
  // thumbnails really load (naturalWidth > 0), from the image URLs or the picked files
  await expect
    .poll(
      () =>
        page
          .getByTestId('hits-tuned')
          .locator('img')
          .evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
      { timeout: 20_000 },
    )
    .toBe(10);
  await shot(page, `${prefix}-5-playground`);
  return page
    .getByTestId('hits-tuned')
    .locator('li')
    .evaluateAll((lis) => lis.map((li) => ({ id: li.getAttribute('data-id')!, score: Number(li.getAttribute('data-score')) })));
}

async function download(page: Page, prefix: string): Promise<Record<string, Uint8Array>> {
  const zip = await downloadZip(page, path.join(dir, `${prefix}.zip`));
  return Object.fromEntries(Object.entries(zip).map(([k, v]) => [k.split('/').slice(1).join('/'), v]));
}

/** Both exported towers in onnxruntime-node: cosine(query text, hit image) equals the score the lab showed. */
async function checkTowers(zip: Record<string, Uint8Array>, query: string, hits: { id: string; score: number }[]): Promise<void> {
  const encoder = await loadClipEncoder(memoryFiles(new Map(Object.entries(zip)), 'export'));
  const text = await ort.InferenceSession.create(zip['onnx/text_model.onnx']!);
  const vision = await ort.InferenceSession.create(zip['onnx/vision_model.onnx']!);
  const x = encoder.toTextInputs([query]);
  const i64 = (t: { dataSync(): ArrayLike<number>; shape: number[] }) =>
    new ort.Tensor('int64', BigInt64Array.from(Array.from(t.dataSync(), (v) => BigInt(v))), t.shape);
  const q = (await text.run({ input_ids: i64(x.inputIds), attention_mask: i64(x.attentionMask) })).text_embeds!.data as Float32Array;
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v);
    return Array.from(v, (a) => a / n);
  };
  const qn = unit(q);
  const size = encoder.model.config.vision.image_size;
  let firstImage: { px: Float32Array; embeds: Float32Array } | undefined;
  for (const h of hits) {
    const px = preprocessClipImage(cat.images.get(h.id)!, encoder.imageConfig);
    const embeds = (await vision.run({ pixel_values: new ort.Tensor('float32', px, [1, 3, size, size]) })).image_embeds!.data as Float32Array;
    firstImage ??= { px, embeds };
    const img = unit(embeds);
    expect(Math.abs(qn.reduce((s, a, i) => s + a * img[i]!, 0) - h.score)).toBeLessThan(1e-4);
  }
  // the zip's model.safetensors + config.json in the independent float64 numpy CLIPModel (test/reference/) give
  // the ONNX towers' embeddings: both files carry the same trained weights
  const refDir = path.join(dir, `ref-${Date.now()}`);
  await mkdir(refDir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) await writeFile(path.join(refDir, f), zip[f]!);
  const rows = (t: { dataSync(): ArrayLike<number>; shape: number[] }) => [Array.from(t.dataSync())];
  const nested = Array.from({ length: 3 }, (_, c) =>
    Array.from({ length: size }, (_, y) => Array.from(firstImage!.px.subarray((c * size + y) * size, (c * size + y + 1) * size))),
  );
  const [ref] = runClipReferences<ClipReferenceForward>([
    { model_dir: refDir, input_ids: rows(x.inputIds), attention_mask: rows(x.attentionMask), pixel_values: [nested] },
  ]);
  const diff = (a: number[], b: Float32Array) => {
    expect(a).toHaveLength(b.length);
    return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  };
  expect(diff(ref!.text_embeds[0]!, q)).toBeLessThan(1e-5);
  expect(diff(ref!.image_embeds[0]!, firstImage!.embeds)).toBeLessThan(1e-5);
  tf.dispose([x.inputIds, x.attentionMask, x.eosOneHot]);
  encoder.dispose();
}

describe('CLIP in the lab (headless Chromium)', () => {
  it('unsupervised CLIP from catalogue image URLs: failures listed, trained, image playground, zip whose towers match the lab', async () => {
    const { page, errors } = await openLab();
    await loadData(page);
    const { counts, failures } = await checkImages(page, 'urls', 22);
    expect(failures).toContain(`${cat.missingId}.png: not found (HTTP 404)`);
    expect(counts).toMatch(/Without an image\s*1/);
    expect(counts).toMatch(/Failed\s*1/);
    await page.getByLabel('Any Hub CLIP model id').check();
    await page.getByLabel('CLIP Hub id').fill('fixtures/tiny-clip');
    await train(page, 'urls');
    expect(await page.locator('table.metrics tbody tr').count()).toBeGreaterThanOrEqual(2);
    const hits = await search(page, 'urls', 'gaming mouse pad');
    const zip = await download(page, 'urls');
    expect(Object.keys(zip)).toEqual(
      expect.arrayContaining(['config.json', 'preprocessor_config.json', 'model.safetensors', 'onnx/text_model.onnx', 'onnx/vision_model.onnx']),
    );
    await checkTowers(zip, 'gaming mouse pad', hits);
    const route = await openSnippet(page, 'Product image vectors');
    await expect.poll(() => route.textContent()).toContain('finetuned_product_image_vector');
    await shot(page, 'urls-6-integrate');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('a local folder of images, supervised pairs and a tiny CLIP from scratch, offline', async () => {
    const { page, errors } = await openLab();
    await loadData(page);
    await page.getByLabel('A local folder of images').check();
    await page.setInputFiles('#image-folder', imagesDir);
    const { counts } = await checkImages(page, 'folder', 22);
    // the folder has no file for the two products without an image: they are counted, nothing failed
    expect(counts).toMatch(/Without an image\s*2/);
    await page.getByLabel(/A tiny CLIP from scratch/).check();
    await page.getByLabel(/Supervised: judged query ↔\s+images/).check();
    await train(page, 'folder');
    // supervised: evaluation covers the held-out queries only (split by query, none of them trained on)
    const perQuery = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Per query' }) })
      .locator('tbody tr')
      .count();
    expect(perQuery).toBeGreaterThanOrEqual(1);
    expect(perQuery).toBeLessThan(4);
    const hits = await search(page, 'folder', 'microsoft office');
    expect(hits.every((h) => cat.images.has(h.id))).toBe(true);
    const zip = await download(page, 'folder');
    await checkTowers(zip, 'microsoft office', hits);
    expect(errors).toEqual([]);
    await page.context().close();
    expect((await readdir(imagesDir)).length).toBe(22);
  }, 300_000);
});
