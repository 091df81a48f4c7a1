/** The bench summary: ratios against the baselines of the same run, GFLOP/s and the WebGPU counts' fallbacks. */
import { describe, expect, it } from 'vitest';
import { summarize, type BackendEntry } from '../../bench/summary.ts';
import { miniLmConfig, type TextBenchResult } from '../../bench/textBench.ts';
import { countsBetween, emptyWebGpuCounts, type WebGpuCounts } from '../../src/workers/webgpuCounters.ts';

const counts = (o: Partial<WebGpuCounts>): WebGpuCounts => ({ ...emptyWebGpuCounts(), ...o });

const text = (stepMs: number, tps: number, extra: Partial<TextBenchResult> = {}): TextBenchResult => ({
  backend: 'wasm',
  threads: 2,
  params: 1,
  train: { warmupMs: 1, stepsMs: [stepMs], medianMs: stepMs, loss: 1 },
  encode: { warmupMs: 1, batchesMs: [1], textsPerSec: tps },
  leakedTensors: 0,
  totalMs: 1,
  ...extra,
});

describe('bench summary', () => {
  it('divides by the same run’s PyTorch and onnxruntime figures and turns times into GFLOP/s', () => {
    const entries: Record<string, BackendEntry> = {
      'onnxruntime-node': { backend: 'onnx', encode: { warmupMs: 1, batchesMs: [1], textsPerSec: 400 } } as unknown as BackendEntry,
      'pytorch-cpu': text(2000, 50) as unknown as BackendEntry,
      'node-wasm': text(6000, 40),
    };
    const { summary, ratios } = summarize(entries, { config: miniLmConfig, batch: 32, seq: 32 });
    expect(ratios.trainStepVsTorch['node-wasm']).toBe(3);
    expect(ratios.encodeVsTorch['node-wasm']).toBe(0.8);
    expect(ratios.encodeVsOnnx['node-wasm']).toBe(0.1);
    // ~132 GFLOP per MiniLM-L6 step at 32 x 32
    expect(summary['node-wasm']!.trainGflopPerSec).toBeGreaterThan(21);
    expect(summary['node-wasm']!.trainGflopPerSec).toBeLessThan(23);
  });

  it('reports a steady WebGPU step, or the warm-up’s counts (said so) when no steady step fit the budget', () => {
    const before = counts({ dispatches: 10, uploads: 5, uploadBytes: 100, liveBufferBytes: 7, peakBufferBytes: 9 });
    const after = counts({ dispatches: 110, readbacks: 1, uploads: 8, uploadBytes: 2 ** 20 + 100, liveBufferBytes: 8, peakBufferBytes: 3 * 2 ** 20 });
    const d = countsBetween(before, after);
    expect(d).toMatchObject({ dispatches: 100, readbacks: 1, uploads: 3, uploadBytes: 2 ** 20, liveBufferBytes: 8, peakBufferBytes: 3 * 2 ** 20 });
    const gpu = { trainStep: { warmup: { ...d, pipelines: 4 } }, encodeBatch: { warmup: { ...d, pipelines: 2 }, steady: { ...d, dispatches: 50 } } };
    const { summary } = summarize({ 'browser-webgpu': text(1, 1, { gpu }) }, { config: miniLmConfig, batch: 32, seq: 32 });
    expect(summary['browser-webgpu']!.gpu).toEqual({
      trainStep: { from: 'warmup', dispatches: 100, submits: 0, readbacks: 1, uploads: 3, uploadMiB: 1, peakMiB: 3 },
      encodeBatch: { from: 'steady', dispatches: 50, submits: 0, readbacks: 1, uploads: 3, uploadMiB: 1, peakMiB: 3 },
      pipelinesCompiled: 6,
    });
  });
});
