import type { ViteDevServer } from 'vite';
import { runBrowserBench } from './browserBench.ts';
import type { ClipBenchResult } from './clipBench.ts';
import { runNodeBench } from './nodeRunner.ts';

export const CLIP_BACKENDS = ['onnx', 'node-wasm', 'browser-wasm', 'browser-webgpu', 'browser-webgl', 'node-cpu'] as const;
export type ClipBackend = (typeof CLIP_BACKENDS)[number];

/**
 * Seconds per backend on the 2-core reference machine: wasm gets an image warm-up, timed batches and two train
 * steps of the TinyCLIP-8M shape; cpu and the SwiftShader GPU backends usually only finish encoding.
 */
const BUDGET_S: Record<ClipBackend, number> = {
  onnx: 60,
  'node-wasm': 240,
  'browser-wasm': 240,
  'browser-webgpu': 120,
  'browser-webgl': 90,
  'node-cpu': 60,
};

export interface ClipSuiteOptions {
  backends: ClipBackend[];
  quick: boolean;
  batch: number;
  trainSteps: number;
  /** seconds per backend instead of the defaults */
  budgetS?: number;
  /** needed for browser-* backends */
  server: ViteDevServer | null;
  log: (m: string) => void;
}

type Entry = ClipBenchResult | { error: string; partial?: unknown };

/**
 * `npm run bench -- --clip`: image embeddings/s and CLIP train step time per backend, each in its own process or
 * browser under a budget, with tfjs image throughput as a ratio of onnxruntime-node's on the same export.
 */
export async function runClipSuite(o: ClipSuiteOptions) {
  const job = { quick: o.quick, batch: o.batch, seq: 16, encodeBatches: o.quick ? 2 : 3, trainSteps: o.trainSteps, seed: 42 };
  const entries: Record<string, Entry> = {};
  for (const b of o.backends) {
    const budgetMs = 1000 * (o.budgetS ?? (o.quick ? 60 : BUDGET_S[b]));
    o.log(`== clip ${b} (budget ${(budgetMs / 1000).toFixed(0)} s)`);
    if (b.startsWith('browser-')) {
      if (!o.server) throw new Error('clip bench: browser backends need the bench server');
      const out = await runBrowserBench<ClipBenchResult>(
        o.server,
        b.slice('browser-'.length),
        job,
        budgetMs,
        (m) => o.log(`  [clip ${b}] ${m}`),
        'runClip',
      );
      entries[b] = 'error' in out ? { error: out.error, partial: out.partial } : out.result;
    } else {
      const kind = b === 'onnx' ? 'onnx' : (b.slice('node-'.length) as 'wasm' | 'cpu');
      entries[b === 'onnx' ? 'onnxruntime-node' : b] = (await runNodeBench(kind, job, budgetMs, o.log, 'clipNodeBench.ts')) as Entry;
    }
  }
  const imagesPerSec = (e: Entry | undefined) => {
    const r = (e && 'error' in e ? e.partial : e) as ClipBenchResult | undefined;
    return r?.encodeImages?.imagesPerSec ?? null;
  };
  const base = imagesPerSec(entries['onnxruntime-node']);
  const summary = Object.fromEntries(
    Object.entries(entries)
      .filter(([k]) => k !== 'onnxruntime-node')
      .map(([k, e]) => {
        const ips = imagesPerSec(e);
        const r = (e && 'error' in e ? e.partial : e) as ClipBenchResult | undefined;
        return [
          k,
          {
            imagesPerSec: ips,
            imagesPerSecVsOnnx: ips !== null && base ? ips / base : null,
            trainStepMs: r?.trainStep?.medianMs ?? null,
            ...('error' in e ? { error: e.error } : {}),
          },
        ];
      }),
  );
  return {
    bench: `CLIP ${o.quick ? 'quick shape' : 'TinyCLIP-ViT-8M-16-Text-3M shape'}: image embeddings/s (batch ${o.batch}) and a CLIP-loss train step (batch ${o.batch} pairs, 16 tokens) per backend`,
    baseline: { backend: 'onnxruntime-node', imagesPerSec: base },
    summary,
    results: entries,
  };
}
