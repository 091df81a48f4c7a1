/**
 * The lab app (index.html) on a Vite dev server for the flow tests. Its own dependency cache and the app's
 * entries (page + both workers) scanned up front, so Vite never re-optimises and reloads the page mid-flow.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ViteDevServer } from 'vite';
import { repoRoot } from './browserServer.ts';

export async function startAppServer(): Promise<{ url: string; server: ViteDevServer }> {
  const { createServer } = await import('vite');
  const server = await createServer({
    configFile: path.join(repoRoot, 'vite.config.ts'),
    root: repoRoot,
    logLevel: 'error',
    clearScreen: false,
    cacheDir: path.join(repoRoot, 'node_modules/.vite-app-flows'),
    optimizeDeps: { entries: ['index.html', 'src/workers/*.worker.ts'] },
    server: { host: 'localhost', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://localhost:${port}`, server };
}
