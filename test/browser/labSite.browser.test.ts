import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browserServer.ts';
import { screenshotDir, waitForLab, waitForResults } from '../helpers/appServer.ts';
import { buildSite, serveStatic, type StaticSite } from '../helpers/staticSite.ts';
import { encodePreset, presetFromLink, type LabPreset } from '../../src/app/lib/labPreset.ts';
import { namedPresets } from '../../src/app/lib/namedPresets.ts';

/**
 * The built site (`vite build`) on a plain static server under /ftlab/ that sends no isolation headers, as
 * GitHub Pages does: the service worker isolates the page after one reload (threaded wasm), the lab opens
 * and trains offline from its precache, preset links open Configure set up, bad ones say why, and the first
 * load stays within its budget.
 */

let site: StaticSite;
let browser: Browser;
/** one browser profile across the tests below: the service worker installed by the first stays for the others */
let context: BrowserContext;

beforeAll(async () => {
  site = await serveStatic(await buildSite(), '/ftlab/');
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotDir, `site-${name}.png`), fullPage: true });

/** crossOriginIsolated of the page, polled across the service worker's reload */
async function waitIsolated(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => globalThis.crossOriginIsolated).catch(() => false), { timeout: 120_000, interval: 500 }).toBe(true);
}

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_FAILED|ERR_INTERNET_DISCONNECTED/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.stack ?? e.message}`));
  return errors;
}

describe('the lab as a static site', () => {
  it('loads at most 500 kB gzip of JavaScript before a model is picked (the workers included)', async () => {
    // the service worker's precache (for offline use) downloads the rest in the background: blocked here
    const first = await browser.newContext({ serviceWorkers: 'block' });
    const page = await first.newPage();
    const js = new Map<string, number>();
    const pending: Promise<void>[] = [];
    const onResponse = (r: { url(): string; body(): Promise<Buffer> }) => {
      if (!/\.m?js$/.test(new URL(r.url()).pathname)) return;
      pending.push(r.body().then((b) => void js.set(new URL(r.url()).pathname.split('/').pop()!, gzipSync(b).length)));
    };
    first.on('response', onResponse);
    await page.goto(`${site.url}?backend=wasm`);
    await waitForLab(page);
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    const total = [...js.values()].reduce((a, b) => a + b, 0);
    await mkdir(screenshotDir, { recursive: true });
    await writeFile(
      path.join(screenshotDir, '../first-load-js.json'),
      JSON.stringify({ totalGzipBytes: total, files: Object.fromEntries(js) }, null, 2),
    );
    // the page's own bundle and the trainer worker that picks the backend for the badge
    expect([...js.keys()].some((f) => f.startsWith('index-'))).toBe(true);
    expect([...js.keys()].some((f) => f.startsWith('trainer.worker-'))).toBe(true);
    expect(total).toBeLessThanOrEqual(500_000);
    await first.close();
  }, 180_000);

  it('is cross-origin isolated after the service worker reload: tfjs-wasm runs with more than one thread', async () => {
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${site.url}?backend=wasm`);
    await waitIsolated(page);
    await waitForLab(page);
    await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/wasm · \d+ threads?/);
    const badge = (await page.getByTestId('backend').textContent()) ?? '';
    expect(Number(/(\d+) threads?/.exec(badge)?.[1])).toBeGreaterThan(1);
    expect(await page.getByTestId('threads-note').count()).toBe(0);
    await shot(page, '1-isolated');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('opens offline after one visit (setOffline + reload) and completes a from-scratch quick run on the cached catalogue', async () => {
    const quick: LabPreset = {
      data: 'chorus',
      slice: 20,
      model: 'scratch',
      mode: 'unsupervised',
      querySource: 'offline',
      perProduct: 1,
      maxProducts: 40,
      genqNegative: 'none',
      batchSize: 8,
      steps: 3,
      evalEvery: 0,
    };
    const page = await context.newPage();
    const errors = collectErrors(page);
    try {
      await page.goto(`${site.url}?backend=wasm${encodePreset(quick)}`);
      await waitIsolated(page);
      await context.setOffline(true);
      await page.reload();
      await waitForLab(page);
      await page.getByTestId('offline').waitFor();
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      await page.getByRole('heading', { name: /Step 2 Configure/ }).waitFor({ timeout: 120_000 });
      await page.getByRole('button', { name: /Start fine-tuning/ }).click();
      await waitForResults(page, () => shot(page, '2-offline-train'), { timeoutMs: 240_000 });
      await page.getByRole('heading', { name: 'Before vs after' }).waitFor();
      await shot(page, '3-offline-evaluate');
      expect(errors).toEqual([]);
    } finally {
      await context.setOffline(false);
      await page.close();
    }
  }, 360_000);

  it('opens Configure with a named preset, and "Copy link to this setup" gives a link carrying the same values', async () => {
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${site.url}?backend=wasm&preset=kata-genq-quick`);
    await page.getByRole('heading', { name: /Step 2 Configure/ }).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('preset-applied').textContent()).toContain('kata-genq-quick');
    expect(await page.getByLabel(/From scratch/).isChecked()).toBe(true);
    expect(await page.getByLabel('Batch size').inputValue()).toBe('32');
    expect(Number(await page.getByLabel('Learning rate').inputValue())).toBe(5e-4);
    expect(await page.getByLabel('Queries per product').inputValue()).toBe('1');
    await page.getByTestId('copy-setup-link').click();
    const link = new URL(await page.getByTestId('setup-link').inputValue());
    const back = presetFromLink(link.search, link.hash, namedPresets);
    expect(back.error).toBeUndefined();
    expect(back.preset).toMatchObject(namedPresets['kata-genq-quick']!.preset);
    await shot(page, '4-preset');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('shows a clear message for a malformed or unknown preset and opens with the defaults', async () => {
    for (const [suffix, message] of [
      ['#config=not-a-config', '#config: is not base64url-encoded JSON'],
      [encodePreset({ batchSize: 0 } as LabPreset), '"batchSize" must be a whole number ≥ 2, got 0'],
      ['?preset=kata-nope', 'Unknown preset "kata-nope"'],
    ] as const) {
      const page = await context.newPage();
      await page.goto(`${site.url}${suffix}`);
      await page.getByTestId('preset-error').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('preset-error').textContent()).toContain(message);
      expect(await page.getByRole('heading', { name: /Step 1 Data/ }).isVisible()).toBe(true);
      await page.close();
    }
  }, 180_000);
});
