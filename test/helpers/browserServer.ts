import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { ViteDevServer } from 'vite';

/**
 * Headless Chromium + Vite dev server for code that must run in a real browser (WebGPU, WebGL, browser wasm).
 * No vitest imports here: bench/ reuses it. test/helpers/browser.ts adds the vitest lifecycle.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const chromiumPath = process.env.FTLAB_CHROMIUM ?? '/usr/bin/chromium';

/** --enable-unsafe-webgpu gives a SwiftShader (software) WebGPU adapter on machines without a GPU. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Page entries import these; listing them up front stops Vite from re-optimising (and reloading) mid-test. */
const browserDeps = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];

let serverPromise: Promise<ViteDevServer> | null = null;

/**
 * A Vite dev server over the repo on a free port of localhost (a secure context, so WebGPU is exposed), with
 * its own dependency cache (servers of different test processes must not rewrite each other's optimised deps)
 * and its entries scanned up front, so Vite never re-optimises and reloads a page mid-test.
 */
export async function startViteServer(opts: { cacheName: string; entries: string[]; include?: string[] }): Promise<ViteDevServer> {
  const { createServer } = await import('vite');
  const server = await createServer({
    configFile: path.join(repoRoot, 'vite.config.ts'),
    root: repoRoot,
    logLevel: 'error',
    clearScreen: false,
    cacheDir: path.join(repoRoot, `node_modules/.vite-${opts.cacheName}`),
    optimizeDeps: { entries: opts.entries, ...(opts.include ? { include: opts.include } : {}) },
    server: { host: 'localhost', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  return server;
}

/** One dev server per process for test/browser and bench/browser page entries. */
export function startBrowserServer(): Promise<ViteDevServer> {
  serverPromise ??= startViteServer({ cacheName: 'browser-tests', entries: ['test/browser/**/*.ts', 'bench/browser/**/*.ts'], include: browserDeps });
  return serverPromise;
}

export async function stopBrowserServer(): Promise<void> {
  const p = serverPromise;
  serverPromise = null;
  if (p) await (await p).close();
}

export function serverUrl(server: ViteDevServer): string {
  const addr = server.httpServer?.address() as AddressInfo | null;
  if (!addr) throw new Error('browser harness: the dev server is not listening');
  return `http://localhost:${addr.port}`;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`browser harness: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set FTLAB_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

export interface EntryPage {
  page: Page;
  /** console errors and uncaught page errors seen so far */
  errors: string[];
  /** calls an export of the entry module in the page (arguments and result must be JSON-like) */
  call<T>(name: string, ...args: unknown[]): Promise<T>;
}

export interface PageOptions {
  /** ms to wait for the entry module to load (first load includes dependency optimisation) */
  loadTimeoutMs?: number;
  /** console messages matching these are not treated as errors */
  ignoreErrors?: RegExp[];
  onConsole?: (type: string, text: string) => void;
}

/** Opens test/browser/host.html?entry=<entry> (entry relative to the repo root) and waits for the module. */
export async function openEntryPage(browser: Browser, server: ViteDevServer, entry: string, opts: PageOptions = {}): Promise<EntryPage> {
  const rel = entry.replace(/^\/+/, '');
  if (!existsSync(path.join(repoRoot, rel))) throw new Error(`browser harness: entry ${rel} does not exist`);
  const page = await browser.newPage();
  const errors: string[] = [];
  const ignored = (t: string) => (opts.ignoreErrors ?? []).some((r) => r.test(t));
  page.on('console', (msg) => {
    opts.onConsole?.(msg.type(), msg.text());
    if (msg.type() === 'error' && !ignored(msg.text())) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.stack ?? err.message}`));
  await page.goto(`${serverUrl(server)}/test/browser/host.html?entry=${encodeURIComponent('/' + rel)}`);
  const handle = await page.waitForFunction(() => (window as unknown as HostWindow).__ftlabStatus, null, {
    timeout: opts.loadTimeoutMs ?? 90_000,
  });
  const status = (await handle.jsonValue()) as string;
  if (status !== 'ready') throw new Error(`browser harness: ${rel} failed to load: ${status}\n${errors.join('\n')}`);
  const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      async ([n, a]) => {
        const mod = (window as unknown as HostWindow).__ftlabEntry;
        const fn = mod[n as string];
        if (typeof fn !== 'function') throw new Error(`entry has no exported function "${String(n)}"`);
        return (await fn(...(a as unknown[]))) as T;
      },
      [name, args] as const,
    ) as Promise<T>;
  return { page, errors, call };
}

/** what test/browser/host.html leaves on window */
export interface HostWindow {
  __ftlabStatus?: string;
  __ftlabEntry: Record<string, (...args: unknown[]) => unknown>;
}
