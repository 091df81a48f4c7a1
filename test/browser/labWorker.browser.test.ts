import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBrowserPage } from '../helpers/browser.ts';
import { makeTinyModel, serveFolders, type FolderServer } from '../helpers/fixtures.ts';
import type { trainPauseResume, trainWithEvaluations } from './workerLab.ts';

/**
 * The trainer worker in real Chromium on WebGPU (SwiftShader): a tiny model fetched from a local Hub-layout
 * server trains uninterrupted; a second run of the same request is paused by its AbortSignal and resumed
 * from its IndexedDB checkpoint (the trainer reloads model and optimizer state from storage). Both must end
 * with bit-identical weights.
 */

let hub: FolderServer;

beforeAll(async () => {
  // the page (localhost) fetches the model cross-origin from a worker: serveFolders answers CORS
  hub = await serveFolders({ 'test/tiny': await makeTinyModel() });
});

afterAll(() => hub?.close());

type Result = Awaited<ReturnType<typeof trainPauseResume>>;

describe('trainer worker in Chromium', () => {
  let r: Result;

  it('trains on webgpu, pauses, resumes from the IndexedDB checkpoint and matches the uninterrupted weights bit for bit', async () => {
    r = await withBrowserPage('test/browser/workerLab.ts', (_page, page) => page.call<Result>('trainPauseResume', hub.endpoint), {
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
      (_page, page) => page.call<Awaited<ReturnType<typeof trainWithEvaluations>>>('trainWithEvaluations', hub.endpoint),
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
    // loadBestModelAtEnd: the outcome and the exported card name the best evaluation (ties: the first)
    const best = e.evals.reduce((a, b) => (b.metrics['ndcg@10']! > a.metrics['ndcg@10']! ? b : a));
    expect(e.outcome.best).toMatchObject({ step: best.step, metric: 'ndcg@10' });
    expect(e.card).toContain('## Checkpoint kept');
    expect(e.card).toContain(best.step === 6 ? `The last step's weights` : `These are the weights of step ${best.step}`);
  }, 150_000);
});
