import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBrowserServer, stopBrowserServer } from '../test/helpers/browserServer.ts';
import { miniLmConfig, quickConfig, type TextBenchOptions } from './textBench.ts';
import { runBrowserBench } from './browserBench.ts';
import { runNodeBench } from './nodeRunner.ts';
import { machineInfo } from './machine.ts';
import { summarize, type BackendEntry } from './summary.ts';
import { runServeBench } from './serveBench.ts';
import { runDataBench } from './dataBench.ts';
import { runGradCacheBench } from './gradCacheBench.ts';
import { initNodeBackend } from '../src/cli/nodeBackend.ts';
import { CATALOGUE_ENGINES, runCatalogueBench, type CatalogueBackend } from './catalogueBench.ts';
import type { Engine } from './browser/cataloguePage.ts';
import { CLIP_BACKENDS, runClipSuite, type ClipBackend } from './clipRun.ts';
import { runTorchBench } from './torchRunner.ts';
import { runPresetBench } from './presetBench.ts';
import { namedPresets } from '../src/app/lib/namedPresets.ts';
import os from 'node:os';

/**
 * npm run bench [-- --backends node-wasm,browser-webgpu,... --steps N --quick --out file.json --budget S]
 *   [--catalogue [--catalogue-limit N] [--catalogue-backends wasm,webgpu] [--catalogue-budget S]]
 *   [--clip [--clip-backends onnx,node-wasm,browser-wasm,...]] [--grad-cache] [--presets all|name,... [--preset-budget S]]
 * One JSON document on stdout; progress on stderr. Each backend runs under its own time budget and is reported
 * as {"error": ...} (with any partial measurements) when unavailable or over budget.
 */

const ALL = ['onnx', 'torch', 'node-wasm', 'browser-wasm', 'browser-webgl', 'browser-webgpu', 'node-cpu', 'browser-cpu'] as const;
type BackendName = (typeof ALL)[number];

/**
 * Seconds per backend, sized on the 2-core reference machine (no GPU) so the default run stays near 10 minutes:
 * Node wasm and browser wasm get their warm-up plus one timed train step (~150-175 s each); the others, whose
 * train warm-up alone takes minutes there (cpu ~1 GFLOP/s; WebGPU/WebGL on SwiftShader), get through encoding.
 */
const BUDGET_S: Record<BackendName, number> = {
  onnx: 60,
  torch: 90,
  'node-wasm': 170,
  'browser-wasm': 175,
  'browser-webgl': 80,
  'browser-webgpu': 90,
  'node-cpu': 60,
  'browser-cpu': 60,
};

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: ALL.join(',') },
    steps: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    budget: { type: 'string' },
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '32' },
    // ftlab serve under load + vectors export (bench/serveBench.ts); off by default, it adds ~3 minutes
    serve: { type: 'boolean', default: false },
    // the data step: cross-encoder pairs/s (tfjs vs onnx) and mining queries/s on the Chorus corpus (bench/dataBench.ts)
    data: { type: 'boolean', default: false },
    // GradCache: peak tensor memory of cached-mnrl batch 256 / mini-batch 16 vs plain MNRL batch 16, 32, 256 (bench/gradCacheBench.ts)
    'grad-cache': { type: 'boolean', default: false },
    // Chorus catalogue embedding in Chromium, tfjs vs transformers.js per backend (bench/catalogueBench.ts)
    catalogue: { type: 'boolean', default: false },
    // texts to encode: default all 19,406 (a few hundred with --quick)
    'catalogue-limit': { type: 'string' },
    'catalogue-backends': { type: 'string', default: 'wasm,webgpu' },
    // tfjs, ftlab-onnx (the lab's inference path), transformers.js
    'catalogue-engines': { type: 'string', default: CATALOGUE_ENGINES.join(',') },
    // encode seconds per (backend, engine): default 600 (90 with --quick)
    'catalogue-budget': { type: 'string' },
    // CLIP: image embeddings/s (vs onnxruntime-node) and CLIP train step per backend (bench/clipRun.ts)
    clip: { type: 'boolean', default: false },
    'clip-backends': { type: 'string', default: CLIP_BACKENDS.join(',') },
    // the lab's named presets end to end in Chromium (bench/presetBench.ts): "all" or a list of names
    presets: { type: 'string' },
    // seconds each preset phase (open, train, evaluate) may take
    'preset-budget': { type: 'string', default: '1800' },
  },
});

const backends = values.backends
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as BackendName[];
for (const b of backends) if (!ALL.includes(b)) throw new Error(`--backends: unknown "${b}" (known: ${ALL.join(', ')})`);
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${values.steps}`);
const log = (m: string) => process.stderr.write(`${m}\n`);
const budgetMs = (b: BackendName) => 1000 * (values.budget ? Number(values.budget) : values.quick ? 60 : BUDGET_S[b]);

const job: Omit<TextBenchOptions, 'log' | 'onPartial' | 'budgetMs'> = {
  config: values.quick ? quickConfig : miniLmConfig,
  batch: Number(values.batch),
  seq: Number(values.seq),
  trainSteps: steps,
  encodeBatches: steps,
  seed: 42,
};

const started = Date.now();
const entries: Record<string, BackendEntry> = {};
const browserInfo: Record<string, unknown> = {};
const clipBackends = values.clip
  ? (values['clip-backends']
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as ClipBackend[])
  : [];
for (const b of clipBackends) if (!CLIP_BACKENDS.includes(b)) throw new Error(`--clip-backends: unknown "${b}" (known: ${CLIP_BACKENDS.join(', ')})`);
const needsBrowser = backends.some((b) => b.startsWith('browser-')) || clipBackends.some((b) => b.startsWith('browser-'));
const server = needsBrowser ? await startBrowserServer() : null;
let clip: Awaited<ReturnType<typeof runClipSuite>> | undefined;
try {
  for (const b of backends) {
    const t = Date.now();
    log(`== ${b} (budget ${(budgetMs(b) / 1000).toFixed(0)} s)`);
    if (b === 'torch') {
      // the thread count the tfjs wasm backends use (every core), so the ratios compare like with like
      const r = await runTorchBench(
        { ...job, encodeBatches: Math.max(5, steps), trainSteps: Math.max(3, steps), threads: os.cpus().length },
        budgetMs(b),
        log,
      );
      // no torch is not a failure of ftlab: CI and most machines lack it
      if ('error' in r) log(`   pytorch-cpu skipped: ${r.error}`);
      entries['pytorch-cpu'] = r;
    } else if (b.startsWith('browser-')) {
      const name = b.slice('browser-'.length);
      const out = await runBrowserBench(server!, name, { ...job, budgetMs: budgetMs(b) }, budgetMs(b), (m) => log(`  [${b}] ${m}`));
      if (out.info) browserInfo[name] = out.info;
      if (out.chromium) browserInfo.chromium = out.chromium;
      entries[b] = 'error' in out ? { error: out.error, partial: out.partial } : out.result;
    } else {
      const kind = b === 'onnx' ? 'onnx' : (b.slice('node-'.length) as 'wasm' | 'cpu');
      // onnxruntime is fast enough for a few more batches, which steadies the baseline every ratio divides by
      const encodeBatches = kind === 'onnx' ? Math.max(5, steps) : steps;
      entries[b === 'onnx' ? 'onnxruntime-node' : b] = await runNodeBench(kind, { ...job, encodeBatches, budgetMs: budgetMs(b) }, budgetMs(b), (m) =>
        log(m),
      );
    }
    log(`   ${b} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  clip = clipBackends.length
    ? await runClipSuite({
        backends: clipBackends,
        quick: values.quick,
        batch: 8,
        trainSteps: values.quick ? 1 : 2,
        budgetS: values.budget ? Number(values.budget) : undefined,
        server,
        log,
      })
    : undefined;
} finally {
  if (server) await stopBrowserServer();
}
const serve = values.serve ? await runServeBench({ quick: values.quick, log: (m) => log(`  [serve] ${m}`) }) : undefined;
if (values.data) await initNodeBackend('wasm');
const data = values.data ? await runDataBench({ quick: values.quick, log: (m) => log(`  [data] ${m}`) }) : undefined;
const catalogue = values.catalogue ? await runCatalogue() : undefined;
if (values['grad-cache']) await initNodeBackend('wasm');
const gradCache = values['grad-cache'] ? await runGradCacheBench((m) => log(`  [grad-cache] ${m}`)) : undefined;
const presets = values.presets ? await runPresets(values.presets) : undefined;

async function runPresets(list: string) {
  const names =
    list === 'all'
      ? Object.keys(namedPresets)
      : list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const budgetS = Number(values['preset-budget']);
  if (!(budgetS > 0)) throw new Error(`--preset-budget must be positive seconds, got ${values['preset-budget']}`);
  await initNodeBackend('wasm'); // only to materialise the stand-in models' random weights
  return runPresetBench(names, budgetS * 1000, (m) => log(`  [presets] ${m}`));
}

async function runCatalogue() {
  const cbackends = values['catalogue-backends']
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as CatalogueBackend[];
  for (const b of cbackends) if (b !== 'wasm' && b !== 'webgpu') throw new Error(`--catalogue-backends: unknown "${b}" (known: wasm, webgpu)`);
  const limit = values['catalogue-limit'] !== undefined ? Number(values['catalogue-limit']) : values.quick ? 256 : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new Error(`--catalogue-limit must be a positive integer, got ${values['catalogue-limit']}`);
  const engines = values['catalogue-engines']
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as Engine[];
  for (const e of engines)
    if (!CATALOGUE_ENGINES.includes(e)) throw new Error(`--catalogue-engines: unknown "${e}" (known: ${CATALOGUE_ENGINES.join(', ')})`);
  const budgetS = Number(values['catalogue-budget'] ?? (values.quick ? 90 : 600));
  if (!(budgetS > 0)) throw new Error(`--catalogue-budget must be positive seconds, got ${values['catalogue-budget']}`);
  await initNodeBackend('wasm'); // only to materialise the random weights for the exporter
  // WebGPU on SwiftShader (no GPU) spends minutes compiling shaders before the first batch
  return runCatalogueBench({
    limit,
    backends: cbackends,
    engines,
    budgetS,
    loadAllowanceS: 420,
    batch: job.batch,
    chunk: 64,
    seed: 42,
    log: (m) => log(`  [catalogue] ${m}`),
  });
}

const doc = {
  bench: 'ftlab text encoder: MNRL train step and encode throughput per tfjs backend, onnxruntime-node baseline',
  date: new Date().toISOString(),
  wallSeconds: Math.round((Date.now() - started) / 1000),
  args: {
    backends,
    steps,
    quick: values.quick,
    batch: job.batch,
    seq: job.seq,
    budgetsSeconds: Object.fromEntries(backends.map((b) => [b, budgetMs(b) / 1000])),
  },
  machine: { ...machineInfo(), browser: browserInfo },
  model: {
    shape: values.quick ? 'tiny (--quick)' : 'MiniLM-L6 (sentence-transformers/all-MiniLM-L6-v2 shape), random weights',
    config: job.config,
    trainStep: `batch ${job.batch} x seq ${job.seq}, anchors + positives forward (dropout on), MNRL (scale 20, in-batch negatives), backward, AdamW update`,
    encode: `batch ${job.batch} x seq ${job.seq}, forward + mean pooling + L2 normalize`,
    timing: `1 warm-up then ${steps} timed repetition(s) (fewer if the budget runs short); train time is the median`,
  },
  results: entries,
  ...(serve ? { serve } : {}),
  ...(data ? { data } : {}),
  ...(catalogue ? { catalogue } : {}),
  ...(gradCache ? { gradCache } : {}),
  ...(clip ? { clip } : {}),
  ...(presets ? { presets } : {}),
  ...summarize(entries, job),
};
const json = JSON.stringify(doc, null, 2);
if (values.out) {
  mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  writeFileSync(values.out, json + '\n');
  log(`wrote ${values.out}`);
}
process.stdout.write(json + '\n');
