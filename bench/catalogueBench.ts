import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, openEntryPage, repoRoot, startViteServer } from '../test/helpers/browserServer.ts';
import { catalogueModelShape, catalogueTexts, CATALOGUE_TEMPLATE, ensureCatalogueModel, sampleTexts } from './catalogueModel.ts';
import type { CatalogueResult, CatalogueRun, Engine } from './browser/cataloguePage.ts';
import type { PageBenchInfo } from './browser/benchPage.ts';

/**
 * `npm run bench -- --catalogue`: embedding throughput over the Chorus catalogue in headless Chromium, ftlab's
 * tfjs encoder vs transformers.js feature-extraction (onnxruntime-web) on the same backend, same model folder
 * (ftlab's export of one set of random MiniLM-L6-shaped weights), same texts, batches and readbacks.
 * Each backend runs in a fresh browser; the engines take turns chunk by chunk (bench/browser/cataloguePage.ts),
 * so a shared machine's varying load hits both alike. What was measured before a budget cut is kept, and the
 * ratio is taken over the chunks both engines finished.
 */

export type CatalogueBackend = 'wasm' | 'webgpu';
export const CATALOGUE_ENGINES: Engine[] = ['tfjs', 'ftlab-onnx', 'transformers.js'];
const ENTRY = 'bench/browser/cataloguePage.ts';

export interface CatalogueBenchOptions {
  /** texts to encode; default all (19,406) */
  limit?: number;
  backends: CatalogueBackend[];
  /** default all (CATALOGUE_ENGINES) */
  engines?: Engine[];
  /** seconds of encoding per backend (both engines, interleaved), after loading and the first batches */
  budgetS: number;
  /** seconds allowed on top of budgetS for loading both engines and their first batch (shader compilation) */
  loadAllowanceS: number;
  batch: number;
  /** texts per timed chunk (the budget is checked between chunks) */
  chunk: number;
  seed: number;
  log: (m: string) => void;
}

/** tfjs texts/s ÷ transformers.js texts/s over the chunks both finished (above 1: tfjs is faster). */
export function commonRatio(a?: CatalogueResult, b?: CatalogueResult): { ratio: number | null; chunks: number } {
  const n = Math.min(a?.chunksMs.length ?? 0, b?.chunksMs.length ?? 0);
  if (!n) return { ratio: null, chunks: 0 };
  const sum = (r: CatalogueResult) => r.chunksMs.slice(0, n).reduce((s, v) => s + v, 0);
  return { ratio: Math.round((sum(b!) / sum(a!)) * 1000) / 1000, chunks: n };
}

/** Largest |difference| between the two engines' embeddings of the same texts (same weights: ~1e-7 expected). */
export function maxAbsDiff(a?: number[][], b?: number[][]): number | null {
  if (!a?.length || !b?.length) return null;
  let m = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      const d = Math.abs(v - (b[i]?.[j] ?? NaN));
      m = Number.isNaN(d) ? Infinity : Math.max(m, d); // a missing or NaN value is a disagreement, not a match
    }),
  );
  return m;
}

type PageOutcome = { results: Partial<Record<Engine, CatalogueResult>>; error?: string; info?: PageBenchInfo };

/** Both engines in one fresh browser; past the hard limit the browser is closed and the last partial kept. */
async function runBackend(server: ViteDevServer, run: CatalogueRun, hardMs: number, log: (m: string) => void): Promise<PageOutcome> {
  const browser: Browser = await launchChromium();
  let partial: Partial<Record<Engine, CatalogueResult>> = {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let info: PageBenchInfo | undefined;
  try {
    const page = await openEntryPage(browser, server, ENTRY, {
      onConsole: (_t, text) => {
        if (text.startsWith('FTLAB_LOG ')) log(text.slice(10));
        else if (text.startsWith('FTLAB_PARTIAL ')) partial = JSON.parse(text.slice(14)) as typeof partial;
      },
    });
    try {
      // tfjs runs on it; for transformers.js it proves the backend (WebGPU) exists in this browser
      info = await page.call<PageBenchInfo>('useBackend', run.backend);
    } catch (e) {
      return { results: {}, error: `backend unavailable: ${(e as Error).message.split('\n')[0]}` };
    }
    const call = page.call<Record<Engine, CatalogueResult>>('runCatalogue', run);
    call.catch(() => {}); // rejected when the browser is closed at the hard limit
    const over = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), hardMs)));
    const result = await Promise.race([call, over]);
    if (result === 'timeout')
      return { results: partial, error: `stopped at the hard limit of ${(hardMs / 1000).toFixed(0)} s (loading and first batches included)`, info };
    return { results: result, info };
  } catch (e) {
    return { results: partial, error: (e as Error).message.split('\n').slice(0, 3).join(' '), info };
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
}

export async function runCatalogueBench(o: CatalogueBenchOptions) {
  const all = catalogueTexts();
  const texts = sampleTexts(all, Math.min(o.limit ?? all.length, all.length), o.seed);
  const model = await ensureCatalogueModel(all, o.seed, o.log);
  const modelUrl = `/${path.relative(repoRoot, model.dir).split(path.sep).join('/')}/`;
  const server = await startViteServer({
    cacheName: 'bench-catalogue',
    entries: [ENTRY],
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', '@huggingface/transformers'],
  });
  const backends: Record<string, unknown> = {};
  const ratios: Record<
    string,
    {
      tfjsVsTransformers: number | null;
      labOnnxVsTransformers: number | null;
      overChunks: number;
      texts: number;
      maxAbsDiff: number | null;
      labOnnxMaxAbsDiff: number | null;
    }
  > = {};
  try {
    for (const backend of o.backends) {
      o.log(`== catalogue ${backend}: ${texts.length} texts, encode budget ${o.budgetS} s`);
      const run: CatalogueRun = {
        engines: [...(o.engines ?? CATALOGUE_ENGINES)],
        backend,
        modelUrl,
        files: model.files,
        texts,
        batchSize: o.batch,
        chunk: o.chunk,
        budgetMs: o.budgetS * 1000,
        sample: 4,
      };
      const out = await runBackend(server, run, o.budgetS * 1000 + o.loadAllowanceS * 1000, (m) => o.log(`  [${backend}] ${m}`));
      const a = out.results.tfjs,
        b = out.results['transformers.js'],
        lab = out.results['ftlab-onnx'];
      const { ratio, chunks } = commonRatio(a, b);
      ratios[backend] = {
        tfjsVsTransformers: ratio,
        labOnnxVsTransformers: commonRatio(lab, b).ratio,
        overChunks: chunks,
        texts: Math.min(chunks * o.chunk, texts.length),
        maxAbsDiff: maxAbsDiff(a?.sample, b?.sample),
        labOnnxMaxAbsDiff: maxAbsDiff(lab?.sample, a?.sample),
      };
      // the sample embeddings only feed the agreement check
      const strip = (r?: CatalogueResult) => r && { ...r, sample: undefined, chunksMs: r.chunksMs.map((ms) => Math.round(ms)) };
      backends[backend] = {
        ...(out.error && { error: out.error }),
        info: out.info,
        tfjs: strip(a) ?? null,
        'ftlab-onnx': strip(lab) ?? null,
        'transformers.js': strip(b) ?? null,
      };
    }
  } finally {
    await server.close();
  }
  return {
    what: `texts/s embedding the Chorus catalogue ("${CATALOGUE_TEMPLATE}", seeded shuffle, first ${texts.length} of ${all.length}) in batches of ${o.batch}, chunks of ${o.chunk}; tfjsVsTransformers = tfjs texts/s ÷ transformers.js texts/s over the chunks both finished; labOnnxVsTransformers the same for ftlab-onnx (the lab's inference path: onnxruntime-web over the exporter's in-memory graph); labOnnxMaxAbsDiff compares its embeddings with tfjs'`,
    model: {
      ...catalogueModelShape,
      vocabSize: model.vocabSize,
      parameters: model.parameters,
      weights: 'random (ftlab initModel, seed ' + o.seed + '), vocabulary learned from the catalogue and padded with [unusedN]',
      folder: path.relative(repoRoot, model.dir),
      buildSeconds: Math.round(model.buildSeconds),
    },
    args: { limit: texts.length, backends: o.backends, budgetSeconds: o.budgetS, batch: o.batch, chunk: o.chunk },
    results: backends,
    ratios,
  };
}
