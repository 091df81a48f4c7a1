/**
 * Browser entry for test/browser/labWorker.browser.test.ts: drives the real LabClient (trainer worker on WebGPU,
 * IndexedDB checkpoints, Web Lock) through train → pause → Resume from the IndexedDB checkpoint, next to an
 * uninterrupted run of the same request, and reports the final weights of both.
 */
import { strFromU8, unzipSync } from 'fflate';
import { createLabClient } from '../../src/app/bridge/labClient.ts';
import { listCheckpoints, openLabDb } from '../../src/storage/index.ts';
import type { TrainEvent, TrainRequest } from '../../src/lab/api/labApi.ts';

// Lets Vite's dependency scan see the worker's imports up front (no re-optimisation and reload mid-test).
export const scanWorkerDeps = () => Promise.all([import('../../src/workers/trainer.worker.ts'), import('../../src/workers/pipeline.worker.ts')]);

const products = [
  'running shoes',
  'leather wallet',
  'usb cable',
  'laptop bag',
  'water bottle',
  'wireless mouse',
  'yoga mat',
  'desk lamp',
  'coffee mug',
  'phone case',
  'rain jacket',
  'hiking boots',
];
const rows = products.map((p, i) => ({
  query: `cheap ${p}`,
  positive: `red ${p}, size ${36 + i}`,
  negative: `blue ${products[(i + 5) % products.length]}`,
}));

async function safetensorsOf(zip: Blob): Promise<Uint8Array> {
  const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
  const name = Object.keys(files).find((f) => f.endsWith('/model.safetensors'));
  if (!name) throw new Error(`no model.safetensors in the zip (${Object.keys(files).join(', ')})`);
  return files[name]!;
}

export async function trainPauseResume(endpoint: string) {
  const dbName = `ftlab-worker-test-${Date.now()}`;
  const opts = { prefer: 'webgpu' as const, only: true, dbName };
  const req: TrainRequest = {
    model: { kind: 'hub', id: 'test/tiny', endpoint },
    rows,
    config: { loss: 'mnrl', batchSize: 4, epochs: 2, lr: 2e-3, seed: 5 },
    checkpointEverySteps: 2,
  };
  const t0 = performance.now();
  const marks: Record<string, number> = {};
  const mark = (k: string) => {
    marks[k] = Math.round(performance.now() - t0);
  };
  const first = createLabClient(opts);
  const backend = await first.backend();
  mark('backend');
  const full = await first.train('full', req, () => {});
  mark('full');
  const fullWeights = await safetensorsOf(await first.exportZip('full'));
  mark('exportFull');

  const ac = new AbortController();
  const events: TrainEvent[] = [];
  const paused = await first.train(
    'resumed',
    req,
    (e) => {
      events.push(e);
      if (e.type === 'step' && e.step >= 2) ac.abort();
    },
    ac.signal,
  );
  mark('paused');
  const db = await openLabDb(dbName);
  const stored = (await listCheckpoints(db, 'resumed')).map((c) => c.step);
  db.close();

  // Resume: the trainer drops the paused run's model and optimizer, reloads the base model (from the
  // IndexedDB model cache) and continues from the run's newest IndexedDB checkpoint. (Terminating the
  // worker in between would add a second cold WebGPU shader compilation, ~50 s on SwiftShader.)
  const resumedEvents: TrainEvent[] = [];
  const resumed = await first.train('resumed', req, (e) => resumedEvents.push(e));
  mark('resumed');
  const resumedWeights = await safetensorsOf(await first.exportZip('resumed'));
  first.dispose();

  const a = new Float32Array(fullWeights.slice(8 + Number(new DataView(fullWeights.buffer, fullWeights.byteOffset).getBigUint64(0, true))).buffer);
  const b = new Float32Array(
    resumedWeights.slice(8 + Number(new DataView(resumedWeights.buffer, resumedWeights.byteOffset).getBigUint64(0, true))).buffer,
  );
  let maxAbsDiff = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
  let sameBytes = fullWeights.length === resumedWeights.length;
  for (let i = 0; sameBytes && i < fullWeights.length; i++) sameBytes = fullWeights[i] === resumedWeights[i];

  return {
    backend,
    full,
    paused,
    resumed,
    stored,
    sameBytes,
    maxAbsDiff,
    floats: a.length,
    stepEvents: events.filter((e) => e.type === 'step').length,
    resumedNotice: resumedEvents.find((e) => e.type === 'resumed'),
    seconds: (performance.now() - t0) / 1000,
    marks,
  };
}

/**
 * Evaluation during training through the real client: the pipeline worker parses the data and hands the
 * evaluation set to the trainer worker, which reports eval events every 2 steps (wasm: no shader compiles).
 */
export async function trainWithEvaluations(endpoint: string) {
  const client = createLabClient({ prefer: 'wasm', only: true, dbName: `ftlab-worker-evals-${Date.now()}` });
  const corpus = products.map((p, i) => JSON.stringify({ id: `p${i}`, title: `red ${p}, size ${36 + i}` })).join('\n');
  const judgments = ['query,docid,rating', ...products.map((p, i) => `cheap ${p},p${i},3`)].join('\n');
  const summary = await client.setData({
    corpus: [{ name: 'products.jsonl', bytes: new TextEncoder().encode(corpus) }],
    template: '{title}',
    judgments: { name: 'judgments.csv', text: judgments },
  });
  const events: TrainEvent[] = [];
  const req: TrainRequest = {
    model: { kind: 'hub', id: 'test/tiny', endpoint },
    rows,
    checkpointEverySteps: 0,
    config: { loss: 'mnrl', batchSize: 4, epochs: 2, lr: 2e-3, seed: 5, loadBestModelAtEnd: true },
    evalEverySteps: 2,
    evalQueries: products.slice(0, 6).map((p) => `cheap ${p}`),
  };
  const outcome = await client.train('evals', req, (e) => events.push(e));
  // the zip's model card names the evaluation whose weights were kept
  const zip = unzipSync(new Uint8Array(await (await client.exportZip('evals')).arrayBuffer()));
  const card = strFromU8(Object.entries(zip).find(([name]) => name.endsWith('README.md'))![1]);
  client.dispose();
  return {
    judgedQueries: summary.judgedQueries,
    outcome,
    card,
    evals: events.flatMap((e) => (e.type === 'eval' ? [e] : [])),
    evalProgress: events.some((e) => e.type === 'progress' && e.progress.phase === 'evaluate'),
  };
}
