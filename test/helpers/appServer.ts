/**
 * The lab app (index.html) for the flow tests: its dev server, a fresh page of it (own browser context, so
 * its own IndexedDB) whose console errors are collected, and the steps every flow takes the same way
 * (load files, wait for a run's end, download the zip).
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Locator, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, repoRoot, startViteServer } from './browserServer.ts';
import { serveFolders, type FolderServer } from './fixtures.ts';

export async function startAppServer(): Promise<{ url: string; server: ViteDevServer }> {
  const server = await startViteServer({ cacheName: 'app-flows', entries: ['index.html', 'src/workers/*.worker.ts'] });
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://localhost:${port}`, server };
}

/** Where the flow tests keep their screenshots (test artifacts a person reads). */
export const screenshotDir = path.join(repoRoot, 'test-results/screenshots');

/** What every lab browser test starts before its tests and stops after them: the app's server and one Chromium. */
export interface LabBrowser {
  url: string;
  browser: Browser;
  /** a full-page screenshot as test-results/screenshots/<prefix><name>.png */
  shot(page: Page, name: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function startLabBrowser(shotPrefix = ''): Promise<LabBrowser> {
  await mkdir(screenshotDir, { recursive: true });
  const app = await startAppServer();
  const browser = await launchChromium();
  return {
    url: app.url,
    browser,
    shot: (page, name) => page.screenshot({ path: path.join(screenshotDir, `${shotPrefix}${name}.png`), fullPage: true }),
    close: async () => {
      await browser.close();
      await app.server.close();
    },
  };
}

/** A lab flow test's machinery: the app in Chromium, and a Hub-layout server its pages load models from. */
export interface LabFlow {
  hub: FolderServer;
  shot(page: Page, name: string): Promise<unknown>;
  /**
   * A fresh lab page loading models from `hub`, on `backend` (default $FTLAB_FLOW_BACKEND, else wasm:
   * SwiftShader's software WebGPU compiles shaders slowly on a small CI machine).
   */
  open(backend?: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Serves `folders` (Hub id -> local folder) and starts the lab browser; `close` stops both. */
export async function startLabFlow(shotPrefix: string, folders: Record<string, string>): Promise<LabFlow> {
  const hub = await serveFolders(folders);
  const lab = await startLabBrowser(shotPrefix).catch(async (e: unknown) => {
    await hub.close();
    throw e;
  });
  return {
    hub,
    shot: lab.shot,
    open: (backend = process.env.FTLAB_FLOW_BACKEND ?? 'wasm') => openLab(lab.browser, lab.url, { backend, hub: hub.endpoint }),
    close: async () => {
      await lab.close();
      await hub.close();
    },
  };
}

/** Opens the `<details>` snippet titled `summary` in step 4 and returns its code block. */
export async function openSnippet(page: Page, summary: string): Promise<Locator> {
  const details = page.locator('details', { has: page.locator('summary', { hasText: summary }) });
  await details.locator('summary').click();
  return details.locator('pre');
}

/** Resolves once the app shows step 1 and the backend it chose. */
export async function waitForLab(page: Page): Promise<void> {
  await page.getByRole('heading', { name: /Step 1 Data/ }).waitFor({ timeout: 90_000 });
  await page
    .getByTestId('backend')
    .getByText(/webgpu|webgl|wasm|cpu/)
    .waitFor({ timeout: 90_000 });
}

/** Opens the lab with `?backend=` and `?hub=`; `errors` collects console errors and uncaught exceptions. */
export async function openLab(browser: Browser, appUrl: string, opts: { backend: string; hub: string }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  // no internet here: product thumbnails fail to load, which the page shows as placeholders
  await page.route(/images\.icecat\.biz/, (r) => r.abort());
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_FAILED/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.stack ?? e.message}`));
  await page.goto(`${appUrl}/?backend=${opts.backend}&hub=${encodeURIComponent(opts.hub)}`);
  await waitForLab(page);
  return { page, errors };
}

/** Step 1 with picked files: the corpus and, when given, the judgments; resolves once the counts show. */
export async function loadFiles(page: Page, files: { corpus: string; judgments?: string }): Promise<void> {
  await page.setInputFiles('#corpus-files', files.corpus);
  if (files.judgments) await page.setInputFiles('#judgments-file', files.judgments);
  await page.getByRole('button', { name: 'Load these files' }).click();
  await page.getByRole('heading', { name: 'What was loaded' }).waitFor({ timeout: 60_000 });
}

/**
 * Waits in step 3 until the run ends, screenshots it either way (`shot`), throws with the page's errors when
 * it failed, and otherwise runs `onTrained` and opens step 4.
 */
export async function waitForResults(
  page: Page,
  shot: () => Promise<unknown>,
  opts: { timeoutMs?: number; onTrained?: () => Promise<void> } = {},
): Promise<void> {
  const results = page.getByRole('button', { name: /See the results/ });
  const failed = page.locator('.status-failed');
  const timeout = opts.timeoutMs ?? 170_000;
  try {
    await Promise.race([results.waitFor({ timeout }), failed.waitFor({ timeout })]);
  } finally {
    await shot();
  }
  if (await failed.isVisible()) throw new Error(`run failed: ${await page.locator('.error').allTextContents()}`);
  await opts.onTrained?.();
  await results.click();
}

/** Clicks "Download the model", saves the zip at `zipPath` and returns its entries (names as in the zip). */
export async function downloadZip(page: Page, zipPath: string): Promise<Record<string, Uint8Array>> {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.getByRole('button', { name: /Download the model/ }).click(),
  ]);
  await download.saveAs(zipPath);
  return unzipSync(new Uint8Array(await readFile(zipPath)));
}
