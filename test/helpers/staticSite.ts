/**
 * The lab as a static host serves it: `vite build` into a temp folder, served by a plain file server under a
 * sub-path, with standard MIME types and **no** isolation headers (like GitHub Pages). Counts what each path
 * was asked for, so a test can tell the first load's JavaScript from the rest.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './browserServer.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.csv': 'text/csv',
};

/** Builds the app (the production build `npm run build` makes) into a fresh folder and returns it. */
export async function buildSite(): Promise<string> {
  const out = await mkdtemp(path.join(tmpdir(), 'ftlab-site-'));
  await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--logLevel', 'error'],
    {
      cwd: repoRoot,
      // vitest sets NODE_ENV=test, which would make vite build a non-production bundle (import.meta.env.PROD
      // false: no service worker registration, Svelte's dev checks)
      env: { ...process.env, NODE_ENV: 'production' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return out;
}

export interface StaticSite {
  /** the app's address, ending in the sub-path's slash */
  url: string;
  /** request paths (below the sub-path) in the order they were served */
  served: string[];
  close(): Promise<void>;
}

/** Serves `dir` at http://localhost:<port><prefix> (prefix like '/ftlab/'); `/` redirects nowhere, 404 outside. */
export async function serveStatic(dir: string, prefix: string): Promise<StaticSite> {
  const served: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(prefix)) return void res.writeHead(404).end();
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, rel);
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      served.push(rel);
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}${prefix}`,
    served,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
