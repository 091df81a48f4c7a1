import path from 'node:path';
import type { Browser } from 'playwright-core';
import { initModel } from '../src/training/init/initModel.ts';
import { initClipModel } from '../src/training/init/initClipModel.ts';
import { namedPresets } from '../src/app/lib/namedPresets.ts';
import { Rng } from '../src/training/random/rng.ts';
import { launchChromium, repoRoot } from '../test/helpers/browserServer.ts';
import { startAppServer } from '../test/helpers/appServer.ts';
import { serveFolders } from '../test/helpers/fixtures.ts';
import { modelFolder } from '../test/helpers/modelFolder.ts';
import { encodePng } from '../test/helpers/pngWriter.ts';
import { catalogueModelShape, catalogueTexts, ensureCatalogueModel, sampleTexts } from './catalogueModel.ts';

/**
 * How long each named preset (src/app/lib/namedPresets.ts) takes in the lab, end to end as a student clicks
 * it: open `?preset=<name>` in Chromium (tfjs-wasm, every core), wait for Configure, Start, wait for the run,
 * open the results. The Hub presets' models come from a local Hub-layout server holding random-weight models
 * of the real ones' shapes (all-MiniLM-L6-v2, ms-marco-MiniLM-L-6-v2, TinyCLIP-ViT-8M-16-Text-3M; vocabularies
 * learned from the catalogue, capped at the real sizes), and product images are 300×300 PNGs made here:
 * compute is that of the real models, downloads are not counted (a classroom's network adds them once).
 */

export interface PresetTiming {
  /** page load until Configure shows the preset (the bundled catalogue parsed and sliced) */
  openSeconds: number;
  /** Start until the run's end (queries, mining, labels, training, checkpoint) */
  trainSeconds: number;
  /** "See the results" until the before/after table */
  evaluateSeconds: number;
  totalSeconds: number;
}

const hubIds = {
  biEncoder: 'sentence-transformers/all-MiniLM-L6-v2',
  crossEncoder: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
  clip: 'wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M',
};

/** Random-weight stand-ins for the presets' Hub models, written once under bench/results (gitignored). */
async function presetModels(log: (m: string) => void): Promise<Record<string, string>> {
  const texts = catalogueTexts();
  const sample = sampleTexts(texts, 4000, 7);
  const dir = path.join(repoRoot, 'bench/results/preset-models');
  const biEncoder = (await ensureCatalogueModel(texts, 42, log)).dir;
  log('writing the cross-encoder and CLIP stand-ins…');
  const { hidden, layers, heads, intermediate, vocabSize } = catalogueModelShape;
  const ceOptions = {
    texts: sample,
    hidden,
    layers,
    heads,
    intermediate,
    vocabSize,
    maxSeqLength: 512,
    architecture: 'BertForSequenceClassification' as const,
  };
  const crossEncoder = await modelFolder('preset-ce-', {}, () => initModel(ceOptions), path.join(dir, 'cross-encoder'));
  const clipOptions = {
    texts: sample,
    merges: 4000,
    textHidden: 256,
    textLayers: 3,
    textHeads: 4,
    textIntermediate: 1024,
    visionHidden: 256,
    visionLayers: 10,
    visionHeads: 4,
    visionIntermediate: 1024,
    projectionDim: 512,
    maxTextLength: 77,
    imageSize: 224,
    patchSize: 16,
    seed: 3,
  };
  const clip = await modelFolder('preset-clip-', {}, () => initClipModel(clipOptions), path.join(dir, 'clip'));
  return { [hubIds.biEncoder]: biEncoder, [hubIds.crossEncoder]: crossEncoder, [hubIds.clip]: clip };
}

/** A few 300×300 product photos' worth of pixels: decode and resize cost like the catalogue's JPEGs. */
function productImages(n = 8): Buffer[] {
  return Array.from({ length: n }, (_, k) => {
    const rng = new Rng(100 + k);
    const px = new Uint8Array(300 * 300 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i % 3 === k % 3 ? 200 : 40) + rng.int(50);
    return encodePng(300, 300, 'rgb', px);
  });
}

async function timePreset(
  browser: Browser,
  appUrl: string,
  hub: string,
  name: string,
  budgetMs: number,
  log: (m: string) => void,
): Promise<PresetTiming> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const images = productImages();
  let served = 0;
  await context.route(/images\.icecat\.biz/, (r) => r.fulfill({ status: 200, contentType: 'image/png', body: images[served++ % images.length]! }));
  const page = await context.newPage();
  try {
    const t0 = performance.now();
    await page.goto(`${appUrl}/?backend=wasm&hub=${encodeURIComponent(hub)}&preset=${name}`);
    await page.getByRole('heading', { name: /Step 2 Configure/ }).waitFor({ timeout: budgetMs });
    const t1 = performance.now();
    await page.getByRole('button', { name: /Start fine-tuning/ }).click();
    const results = page.getByRole('button', { name: /See the results/ });
    const failed = page.locator('.status-failed');
    await Promise.race([results.waitFor({ timeout: budgetMs }), failed.waitFor({ timeout: budgetMs })]);
    if (await failed.isVisible()) throw new Error(`run failed: ${(await page.locator('.error').allTextContents()).join(' ')}`);
    const t2 = performance.now();
    await results.click();
    await page.getByRole('heading', { name: /Before vs after/ }).waitFor({ timeout: budgetMs });
    const t3 = performance.now();
    const s = (ms: number) => Math.round(ms / 100) / 10;
    const timing = { openSeconds: s(t1 - t0), trainSeconds: s(t2 - t1), evaluateSeconds: s(t3 - t2), totalSeconds: s(t3 - t0) };
    log(`  ${name}: ${JSON.stringify(timing)} (${served} images served)`);
    return timing;
  } finally {
    await context.close();
  }
}

/** Times `names` (default: every named preset) one after another, each in a fresh browser context. */
export async function runPresetBench(
  names: string[],
  budgetMs: number,
  log: (m: string) => void,
): Promise<Record<string, PresetTiming | { error: string }>> {
  for (const n of names) if (!namedPresets[n]) throw new Error(`--presets: unknown "${n}" (known: ${Object.keys(namedPresets).join(', ')})`);
  const needsHub = names.some((n) => namedPresets[n]!.preset.model !== 'scratch');
  const hub = await serveFolders(needsHub ? await presetModels(log) : {});
  const app = await startAppServer();
  const browser = await launchChromium();
  const out: Record<string, PresetTiming | { error: string }> = {};
  try {
    for (const name of names) {
      log(`== preset ${name} (budget ${(budgetMs / 1000).toFixed(0)} s per phase)`);
      out[name] = await timePreset(browser, app.url, hub.endpoint, name, budgetMs, log).catch((e: unknown) => ({ error: String(e) }));
    }
  } finally {
    await browser.close();
    await app.server.close();
    await hub.close();
  }
  return out;
}
