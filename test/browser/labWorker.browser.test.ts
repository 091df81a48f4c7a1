import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { withBrowserPage } from '../helpers/browser.ts';
import { makeTinyModel } from '../helpers/fixtures.ts';
import type { trainPauseResume, trainWithEvaluations } from './workerLab.ts';

/**
 * The trainer worker in real Chromium on WebGPU (SwiftShader): a tiny model fetched from a local Hub-layout
 * server trains uninterrupted; a second run of the same request is paused by its AbortSignal and resumed
 * from its IndexedDB checkpoint (the trainer reloads model and optimizer state from storage). Both must end
 * with bit-identical weights.
 */

let server: Server;
let endpoint: string;

beforeAll(async () => {
  const dir = await makeTinyModel();
  // the page (localhost) fetches the model cross-origin from a worker, so this server answers CORS
  server = createServer(async (req, res) => {
    const m = /^\/test\/tiny\/resolve\/main\/(.+)$/.exec(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = m && path.resolve(dir, m[1]!);
    const cors = { 'access-control-allow-origin': '*' };
    try {
      if (!file || !file.startsWith(dir + path.sep) || !(await stat(file)).isFile()) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, { ...cors, 'content-length': body.byteLength, 'content-type': 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, cors);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

type Result = Awaited<ReturnType<typeof trainPauseResume>>;

describe('trainer worker in Chromium', () => {
  let r: Result;

  it('trains on webgpu, pauses, resumes from the IndexedDB checkpoint and matches the uninterrupted weights bit for bit', async () => {
    r = await withBrowserPage('test/browser/workerLab.ts', (_page, page) => page.call<Result>('trainPauseResume', endpoint), {
      // the worker probes optional model files (HEAD 404s are answers, not errors)
      ignoreErrors: [/404/],
    });
    console.log(
      `worker test: ${r.seconds.toFixed(1)} s in the page, backend ${r.backend.name} (${r.backend.reason}); ms at ${JSON.stringify(r.marks)}`,
    );
    expect(r.backend.name).toBe('webgpu');
    expect(r.full).toMatchObject({ status: 'done', step: 6, totalSteps: 6, resumedFrom: 0 });
    expect(r.paused.status).toBe('paused');
    expect(r.paused.step).toBeGreaterThanOrEqual(2);
    expect(r.paused.step).toBeLessThan(6);
    expect(r.stored).toContain(r.paused.step);
    expect(r.resumedNotice).toEqual({ type: 'resumed', step: r.paused.step, totalSteps: 6 });
    expect(r.resumed).toMatchObject({ status: 'done', step: 6, resumedFrom: r.paused.step });
    expect([...r.paused.losses, ...r.resumed.losses]).toEqual(r.full.losses);
    expect(r.floats).toBeGreaterThan(10_000);
    expect(r.maxAbsDiff).toBe(0);
    expect(r.sameBytes).toBe(true);
  }, 150_000);

  it('evaluates every N steps in the trainer worker with the data the pipeline worker parsed', async () => {
    const e = await withBrowserPage(
      'test/browser/workerLab.ts',
      (_page, page) => page.call<Awaited<ReturnType<typeof trainWithEvaluations>>>('trainWithEvaluations', endpoint),
      {
        ignoreErrors: [/404/],
      },
    );
    expect(e.judgedQueries).toBe(12);
    expect(e.outcome).toMatchObject({ status: 'done', step: 6 });
    expect(e.evals.map((x) => x.step)).toEqual([2, 4, 6]);
    for (const x of e.evals) {
      expect(Object.keys(x.metrics)).toEqual(expect.arrayContaining(['ndcg@10', 'mrr@10', 'recall@10', 'map@100']));
      // 6 evaluation queries, one relevant product each among 12 documents: it misses the top 10 only at rank 11 or 12
      for (const v of Object.values(x.metrics)) expect(v).toBeGreaterThan(0);
      expect(x.metrics['recall@10']).toBeGreaterThan(0.5);
    }
    expect(e.evalProgress).toBe(true);
  }, 150_000);
});
