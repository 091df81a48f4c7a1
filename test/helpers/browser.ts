import { afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, openEntryPage, startBrowserServer, stopBrowserServer, type EntryPage, type PageOptions } from './browserServer.ts';

export type { EntryPage } from './browserServer.ts';

// The dev server is started lazily by the first withBrowserPage of a test file and stopped after its last test.
afterAll(stopBrowserServer);

export interface BrowserPageOptions extends PageOptions {
  /** fail when the page logged console errors or threw (default true) */
  failOnConsoleErrors?: boolean;
}

/**
 * Runs `fn` against a fresh headless Chromium page that has loaded `entry` (a module path relative to the
 * repo root, e.g. 'test/browser/webgpuParity.ts'); its exports are callable through `ctx.call`.
 * The browser is closed afterwards whatever happens.
 */
export async function withBrowserPage<T>(entry: string, fn: (page: Page, ctx: EntryPage) => Promise<T>, opts: BrowserPageOptions = {}): Promise<T> {
  const server = await startBrowserServer();
  const browser = await launchChromium();
  try {
    const ctx = await openEntryPage(browser, server, entry, opts);
    const result = await fn(ctx.page, ctx);
    if ((opts.failOnConsoleErrors ?? true) && ctx.errors.length > 0) {
      throw new Error(`browser console errors in ${entry}:\n${ctx.errors.join('\n')}`);
    }
    return result;
  } finally {
    await browser.close();
  }
}
