import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { repoRoot } from '../helpers/browserServer.ts';
import { downloadZip, loadFiles, startLabFlow, waitForLab, waitForResults, type LabFlow } from '../helpers/appServer.ts';
import { makeTinyModel } from '../helpers/fixtures.ts';
import { readSafetensors, type TensorMap } from '../../src/training/weights/safetensors.ts';

/**
 * Issue 4: "a reload in the middle of training followed by Resume reaches the same final weights as an
 * uninterrupted run". In headless Chromium (wasm backend, like the other flows), a tiny fixture model is
 * fine-tuned (GenQ, offline queries, no judgments) once without interruption and once with page.reload()
 * after a checkpoint; after the reload the run list offers Resume (the interrupted run is recovered as
 * 'paused'), Resume finishes it, and the two downloaded zips hold the same model.safetensors.
 * Screenshots: test-results/screenshots/resume-*.png.
 */

const TOTAL_STEPS = 24;
const CHECKPOINT_EVERY = 2;

let flow: LabFlow;
let dir: string;
let corpusPath: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-resume-'));
  // 48 products of the bundled Chorus catalogue: offline queries need their brand/type attributes
  const zip = unzipSync(new Uint8Array(await readFile(path.join(repoRoot, 'public/data/chorus/1.json.zip'))));
  const products = (JSON.parse(new TextDecoder().decode(Object.values(zip)[0]!)) as unknown[]).slice(0, 48);
  corpusPath = path.join(dir, 'chorus-48.json');
  await writeFile(corpusPath, JSON.stringify(products));
  flow = await startLabFlow('resume-', { 'fixtures/tiny-bi': await makeTinyModel() });
}, 180_000);

afterAll(() => flow?.close());

const shot = (page: Page, name: string) => flow.shot(page, name);

// a fresh context each time: its own IndexedDB, so each run starts from nothing
const openLab = () => flow.open('wasm');

/** Same data and configuration for both runs, then Start. */
async function configureAndStart(page: Page, prefix: string): Promise<void> {
  await loadFiles(page, { corpus: corpusPath });
  await page.getByRole('button', { name: /Continue to Configure/ }).click();
  await page.getByLabel('Any Hub model id').check();
  await page.getByLabel('Hub id').fill('fixtures/tiny-bi');
  await page.getByLabel(/None: GenQ/).check();
  await page.getByLabel('Products that get queries (empty = all)').fill('32');
  await page.getByLabel('Batch size').fill('8');
  await page.getByLabel('Max steps (empty = epochs)').fill(String(TOTAL_STEPS));
  await page.getByLabel('Learning rate').fill('0.0005');
  await page.getByRole('spinbutton', { name: 'Seed', exact: true }).fill('7');
  await page.getByLabel('Checkpoint every (steps)').fill(String(CHECKPOINT_EVERY));
  await shot(page, `${prefix}-1-configure`);
  await page.getByRole('button', { name: /Start fine-tuning/ }).click();
  await page.getByRole('heading', { name: /Step 3 Train/ }).waitFor();
}

/** Waits for the end of training, opens the results and downloads the model zip; returns its weights. */
async function finishAndDownload(page: Page, prefix: string): Promise<TensorMap> {
  await waitForResults(page, () => shot(page, `${prefix}-3-trained`), { timeoutMs: 120_000 });
  const files = await downloadZip(page, path.join(dir, `${prefix}.zip`));
  await shot(page, `${prefix}-4-downloaded`);
  const name = Object.keys(files).find((n) => n.endsWith('model.safetensors') && !n.includes('onnx'));
  expect(name, `model.safetensors in ${Object.keys(files).join(', ')}`).toBeTruthy();
  return readSafetensors(files[name!]!);
}

function maxAbsDiff(a: TensorMap, b: TensorMap): { max: number; where: string; differing: number } {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let max = 0;
  let where = '';
  let differing = 0;
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    const x = t.data as ArrayLike<number>;
    const y = u.data as ArrayLike<number>;
    let tensorDiffers = false;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(Number(x[i]) - Number(y[i]));
      if (d !== 0) tensorDiffers = true;
      if (d > max || Number.isNaN(d)) {
        max = Number.isNaN(d) ? Infinity : d;
        where = `${k}[${i}]`;
      }
    }
    if (tensorDiffers) differing++;
  }
  return { max, where, differing };
}

describe('resume after a reload in the browser', () => {
  it('reload mid-training, Resume from the run list: same final weights as an uninterrupted run', async () => {
    // 1. the uninterrupted run
    const straight = await openLab();
    await configureAndStart(straight.page, 'straight');
    const reference = await finishAndDownload(straight.page, 'straight');
    expect(straight.errors).toEqual([]);
    await straight.page.context().close();

    // 2. the same run, reloaded after a checkpoint part-way
    const { page, errors } = await openLab();
    await configureAndStart(page, 'reloaded');
    const checkpointLine = page.getByText(new RegExp(`Checkpoint saved at step (${CHECKPOINT_EVERY * 2}|${CHECKPOINT_EVERY * 3})\\.`));
    await checkpointLine.first().waitFor({ timeout: 120_000 });
    await shot(page, 'reloaded-2-before-reload');
    await page.reload();
    await waitForLab(page);

    // the run list (in the Evaluate step) offers Resume for the interrupted run
    const evaluateStep = page.getByRole('navigation', { name: 'Kata steps' }).getByRole('button').nth(3);
    await expect.poll(() => evaluateStep.isEnabled(), { timeout: 30_000 }).toBe(true);
    await evaluateStep.click();
    await page.getByRole('heading', { name: 'Runs in this browser' }).waitFor();
    const row = page.locator('tr', { has: page.locator('.badge') });
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 10_000 }).toBe('paused');
    const progress = await row.locator('td.num').first().textContent();
    const resume = row.getByRole('button', { name: 'Resume' });
    await resume.waitFor();
    await shot(page, 'reloaded-3-run-list');
    await resume.click();
    await page.getByRole('heading', { name: /Step 3 Train/ }).waitFor({ timeout: 60_000 });
    await page.getByText(/Resumed from the checkpoint at step \d+/).waitFor({ timeout: 60_000 });
    const resumedAt = Number(/step (\d+)/.exec((await page.getByText(/Resumed from the checkpoint at step \d+/).textContent())!)![1]);
    expect(resumedAt, `progress before Resume: ${progress}`).toBeGreaterThanOrEqual(CHECKPOINT_EVERY * 2);
    expect(resumedAt).toBeLessThan(TOTAL_STEPS);
    const resumed = await finishAndDownload(page, 'reloaded');
    expect(errors).toEqual([]);

    const diff = maxAbsDiff(reference, resumed);
    // the resumed run starts from the checkpoint (weights, AdamW moments, data order, RNG): same arithmetic
    expect(diff, `resumed at step ${resumedAt}; largest difference at ${diff.where}`).toEqual({ max: 0, where: '', differing: 0 });
    await page.context().close();
  }, 300_000);
});
