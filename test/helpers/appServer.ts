/**
 * The lab app (index.html) for the flow tests: its dev server, and a fresh page of it (own browser context, so
 * its own IndexedDB) whose console errors are collected.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { startViteServer } from './browserServer.ts';

export async function startAppServer(): Promise<{ url: string; server: ViteDevServer }> {
  const server = await startViteServer({ cacheName: 'app-flows', entries: ['index.html', 'src/workers/*.worker.ts'] });
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://localhost:${port}`, server };
}

/** Resolves once the app shows step 1 and the backend it chose. */
export async function waitForLab(page: Page): Promise<void> {
  await page.getByRole('heading', { name: /Step 1 Data/ }).waitFor({ timeout: 90_000 });
  await page.getByTestId('backend').getByText(/webgpu|webgl|wasm|cpu/).waitFor({ timeout: 90_000 });
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
