import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { loadSentenceEncoder } from '../../src/training/families/registry.ts';
import { memoryFiles } from '../../src/lab/modelSources.ts';
import type { ModelFiles } from '../../src/training/export/modelFiles.ts';
import { useBackend } from './benchPage.ts';
import { bertFamily } from '../../src/training/families/sentence/bertFamily.ts';
import { familyForwardEncoder } from '../../src/training/inference/forwardEncoder.ts';
import type { SentenceEncoder } from '../../src/training/models/sentenceEncoder.ts';
import { inferenceRuntime } from '../../src/workers/backend.ts';
import type { BackendName } from '../../src/lab/api/labApi.ts';

/**
 * Page entry of the catalogue embedding bench: ftlab's tfjs encoder and transformers.js feature-extraction
 * (onnxruntime-web) on one backend encode the catalogue texts in fixed chunks until done or out of budget.
 * Both engines get the same chunks, batch size and model folder, and both read every embedding back, so the
 * times compare like for like.
 */

export { useBackend };

/** ftlab-onnx: what the lab now embeds with (onnxruntime-web, wasm or WebGPU EP, over the exporter's graph of the loaded weights) */
export type Engine = 'tfjs' | 'transformers.js' | 'ftlab-onnx';

export interface CatalogueRun {
  engines: Engine[];
  backend: 'wasm' | 'webgpu';
  /** URL of the exported model folder (served by the dev server), ending in "/" */
  modelUrl: string;
  files: string[];
  texts: string[];
  batchSize: number;
  /** texts per timed chunk */
  chunk: number;
  /** encoding time (after loading and the first batch); checked between chunks */
  budgetMs: number;
  /** embeddings of the first texts returned for the cross-engine agreement check */
  sample: number;
}

export interface CatalogueResult {
  engine: Engine;
  backend: string;
  threads: number | null;
  loadMs: number;
  /** the first batch, untimed in throughput (kernel/shader compilation, session warm-up) */
  warmupMs: number;
  chunksMs: number[];
  texts: number;
  textsPerSec: number;
  complete: boolean;
  /** the first `sample` texts' embeddings */
  sample: number[][];
}

type Embed = (texts: string[]) => Promise<Float32Array[]>;

/** ftlab's tfjs encoder over the served model folder */
async function loadEncoder(o: CatalogueRun): Promise<SentenceEncoder> {
  const files: ModelFiles = new Map();
  await Promise.all(
    o.files.map(async (f) => {
      const res = await fetch(o.modelUrl + f);
      if (!res.ok) throw new Error(`${o.modelUrl}${f}: HTTP ${res.status}`);
      files.set(f, new Uint8Array(await res.arrayBuffer()));
    }),
  );
  return loadSentenceEncoder(memoryFiles(files, 'minilm-chorus'));
}

async function tfjsEngine(o: CatalogueRun): Promise<{ embed: Embed; threads: number | null; dispose: () => void }> {
  const encoder = await loadEncoder(o);
  return {
    embed: (texts) => encoder.encode(texts, { batchSize: o.batchSize }),
    threads: tf.getBackend() === 'wasm' ? getThreadsCount() : null,
    dispose: () => encoder.dispose(),
  };
}

async function labOnnxEngine(o: CatalogueRun): Promise<{ embed: Embed; threads: number | null; dispose: () => void }> {
  const encoder = await loadEncoder(o);
  const threads = navigator.hardwareConcurrency;
  // the runtime the lab's workers pick beside this tfjs backend
  const runtime = await inferenceRuntime(tf.getBackend() as BackendName, threads);
  const forward = familyForwardEncoder(bertFamily, encoder, { runtime: runtime ?? null });
  return {
    embed: (texts) => forward.encode(texts, { batchSize: o.batchSize }),
    threads: crossOriginIsolated ? threads : 1,
    dispose: () => void forward.release().finally(() => encoder.dispose()),
  };
}

async function transformersEngine(o: CatalogueRun): Promise<{ embed: Embed; threads: number | null; dispose: () => void }> {
  // the model folder is <prefix>/<id>/; no Hub, no CDN: onnxruntime-web's wasm comes from the installed package
  const id = o.modelUrl.replace(/\/+$/, '').split('/').pop()!;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = o.modelUrl.slice(0, o.modelUrl.length - id.length - 1);
  env.useBrowserCache = false;
  const wasm = env.backends.onnx.wasm!;
  const dist = '/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify';
  wasm.wasmPaths = { mjs: `${dist}.mjs`, wasm: `${dist}.wasm` };
  // same thread count as tfjs-wasm's default in this browser (the page set tfjs up first), for a fair ratio
  wasm.numThreads = tf.getBackend() === 'wasm' ? getThreadsCount() : navigator.hardwareConcurrency;
  const extractor = (await pipeline('feature-extraction', id, { device: o.backend, dtype: 'fp32' })) as FeatureExtractionPipeline;
  return {
    async embed(texts) {
      const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length); // as tfjs does: less padding
      const byIndex: Float32Array[] = new Array(texts.length);
      for (let s = 0; s < order.length; s += o.batchSize) {
        const idx = order.slice(s, s + o.batchSize);
        const t = await extractor(
          idx.map((i) => texts[i]!),
          { pooling: 'mean', normalize: true },
        );
        const data = t.data as Float32Array;
        const dim = t.dims[1]!;
        idx.forEach((i, r) => {
          byIndex[i] = data.slice(r * dim, (r + 1) * dim);
        });
        t.dispose();
      }
      return byIndex;
    },
    threads: o.backend === 'wasm' ? (wasm.numThreads ?? null) : null,
    dispose: () => void extractor.dispose(),
  };
}

/**
 * Loads every engine, then runs the chunks in turn on each (the order alternating from chunk to chunk), so a
 * shared machine's load changes hit both engines alike. Partial results are logged as "FTLAB_PARTIAL <json>"
 * after every chunk, so the harness keeps them if it must close the page.
 */
export async function runCatalogue(o: CatalogueRun): Promise<Record<string, CatalogueResult>> {
  const log = (m: string) => console.log(`FTLAB_LOG ${m}`);
  const engines: { name: Engine; embed: Embed; dispose: () => void }[] = [];
  const results: Record<string, CatalogueResult> = {};
  try {
    for (const name of o.engines) {
      let t = performance.now();
      const e = name === 'tfjs' ? await tfjsEngine(o) : name === 'ftlab-onnx' ? await labOnnxEngine(o) : await transformersEngine(o);
      engines.push({ name, ...e });
      const loadMs = performance.now() - t;
      t = performance.now();
      const first = await e.embed(o.texts.slice(0, o.batchSize));
      const warmupMs = performance.now() - t;
      log(`${name}: loaded in ${loadMs.toFixed(0)} ms, first batch ${warmupMs.toFixed(0)} ms`);
      results[name] = {
        engine: name,
        backend: o.backend,
        threads: e.threads,
        loadMs,
        warmupMs,
        chunksMs: [],
        texts: 0,
        textsPerSec: 0,
        complete: false,
        sample: first.slice(0, o.sample).map((v) => Array.from(v)),
      };
    }
    console.log(`FTLAB_PARTIAL ${JSON.stringify(results)}`); // load and first-batch times survive a budget cut
    const start = performance.now();
    for (let s = 0, c = 0; s < o.texts.length; s += o.chunk, c++) {
      const chunk = o.texts.slice(s, s + o.chunk);
      for (const e of c % 2 ? [...engines].reverse() : engines) {
        const r = results[e.name]!;
        const t = performance.now();
        await e.embed(chunk);
        r.chunksMs.push(performance.now() - t);
        r.texts += chunk.length;
        r.textsPerSec = (1000 * r.texts) / r.chunksMs.reduce((a, b) => a + b, 0);
        r.complete = r.texts === o.texts.length;
      }
      console.log(`FTLAB_PARTIAL ${JSON.stringify(results)}`);
      log(
        `${s + chunk.length}/${o.texts.length} texts: ${Object.values(results)
          .map((r) => `${r.engine} ${r.textsPerSec.toFixed(1)}/s`)
          .join(', ')}`,
      );
      if (performance.now() - start > o.budgetMs) break;
    }
    return results;
  } finally {
    for (const e of engines) e.dispose();
  }
}
