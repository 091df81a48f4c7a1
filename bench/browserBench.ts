import type { ViteDevServer } from 'vite';
import { launchChromium, openEntryPage } from '../test/helpers/browserServer.ts';
import type { TextBenchOptions, TextBenchResult } from './textBench.ts';
import type { PageBenchInfo } from './browser/benchPage.ts';

export type BrowserBenchOutcome<R = TextBenchResult> =
  { info: PageBenchInfo; chromium: string; result: R } | { error: string; info?: PageBenchInfo; chromium?: string; partial?: R };

/**
 * One tfjs backend in a fresh headless Chromium (so GPU/wasm memory and compiled shaders of one backend never
 * help or hurt the next). Past `budgetMs` the browser is closed and whatever was measured is kept as `partial`.
 */
export async function runBrowserBench<R = TextBenchResult>(
  server: ViteDevServer,
  backend: string,
  opts: Omit<TextBenchOptions, 'log' | 'onPartial'> | Record<string, unknown>,
  budgetMs: number,
  log: (m: string) => void,
  /** the page export to call: 'run' (text bench) or 'runClip' */
  method: 'run' | 'runClip' = 'run',
): Promise<BrowserBenchOutcome<R>> {
  const start = performance.now();
  const browser = await launchChromium();
  const chromium = browser.version();
  let partial: R | undefined;
  let info: PageBenchInfo | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const page = await openEntryPage(browser, server, 'bench/browser/benchPage.ts', {
      onConsole: (_type, text) => {
        if (text.startsWith('FTLAB_LOG ')) log(text.slice(10));
        else if (text.startsWith('FTLAB_PARTIAL ')) partial = JSON.parse(text.slice(14)) as R;
      },
    });
    try {
      info = await page.call<PageBenchInfo>('useBackend', backend);
    } catch (e) {
      return { error: `backend unavailable: ${(e as Error).message.split('\n')[0]}`, chromium };
    }
    const left = budgetMs - (performance.now() - start);
    const run = page.call<R>(method, { ...opts, budgetMs: left });
    run.catch(() => {}); // rejected when the browser is closed at the budget
    const overBudget = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
    const result = await Promise.race([run, overBudget]);
    if (result === 'timeout') return { error: `exceeded its budget of ${(budgetMs / 1000).toFixed(0)} s`, info, chromium, partial };
    if (page.errors.length) log(`console errors: ${page.errors.slice(0, 3).join(' | ')}`);
    return { info, chromium, result };
  } catch (e) {
    return { error: (e as Error).message.split('\n').slice(0, 3).join(' '), info, chromium, partial };
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
}
