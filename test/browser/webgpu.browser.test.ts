import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { withBrowserPage } from '../helpers/browser.ts';
import { parityForward, parityGrads, type ForwardResult, type GradResult, type OnnxParityResult } from './parityCase.ts';
import type { BackendInfo } from './webgpuParity.ts';
import type { WebGpuCounts } from '../../src/workers/webgpuCounters.ts';

/**
 * The tiny perturbed BERT + MNRL step run on tfjs-webgpu in headless Chromium (SwiftShader adapter) against the
 * Node wasm backend, with identical seeded weights and token ids generated on both sides (test/browser/parityCase.ts).
 */

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const maxAbs = (a: number[]) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

let info: BackendInfo;
let matMul: number[];
let gpuForward: ForwardResult;
let gpuGrads: GradResult;
let nodeForward: ForwardResult;
let nodeGrads: GradResult;
let ortGpu: OnnxParityResult;
let counts: { first: WebGpuCounts; second: WebGpuCounts; values: number[] };

beforeAll(async () => {
  // the reference really is the wasm backend (test/setup.ts), not a silent cpu fallback
  expect(tf.getBackend()).toBe('wasm');
  nodeForward = await parityForward();
  nodeGrads = await parityGrads();
  await withBrowserPage('test/browser/webgpuParity.ts', async (_page, page) => {
    info = await page.call<BackendInfo>('useBackend', 'webgpu');
    // no point running the model on a fallback backend: the first test reports the failure
    if (info.active !== 'webgpu') return;
    matMul = await page.call<number[]>('matMulCheck');
    gpuForward = await page.call<ForwardResult>('parityForward');
    gpuGrads = await page.call<GradResult>('parityGrads');
    ortGpu = await page.call<OnnxParityResult>('webGpuOnnxParity');
    counts = await page.call('counterCheck');
  });
}, 120_000);

describe('tfjs webgpu backend in headless Chromium', () => {
  it('really runs on webgpu (no silent fallback)', () => {
    expect(info.error).toBeUndefined();
    expect(info.active).toBe('webgpu');
    expect(info.adapter).not.toBeNull();
    expect(matMul).toEqual([17, 39]);
  });

  it('BERT forward matches Node wasm within 1e-4', () => {
    expect(gpuForward.shape).toEqual(nodeForward.shape);
    const diff = maxAbsDiff(gpuForward.hidden, nodeForward.hidden);
    console.info(`webgpu vs wasm forward: max abs diff ${diff.toExponential(2)} over ${gpuForward.hidden.length} values`);
    expect(gpuForward.hidden.every(Number.isFinite)).toBe(true);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it('MNRL step gradients are finite and match Node wasm', () => {
    expect(Object.keys(gpuGrads.grads).sort()).toEqual(Object.keys(nodeGrads.grads).sort());
    expect(Math.abs(gpuGrads.loss - nodeGrads.loss)).toBeLessThanOrEqual(1e-4);
    const gMax = Math.max(...Object.values(nodeGrads.grads).map(maxAbs));
    expect(gMax).toBeGreaterThan(0);
    // Measured: every tensor's webgpu-vs-wasm difference is <= 3.3e-6 of that tensor's largest gradient, the same size
    // as Node cpu vs Node wasm (float32 summation order). rtol 1e-4 leaves ~30x margin; the atol term covers the
    // attention key biases, whose exact gradient is 0 (softmax ignores a per-row shift) so they hold only rounding noise.
    const rtol = 1e-4;
    const atol = 1e-6 * gMax;
    let worst = { name: '', ratio: 0 };
    for (const [name, ref] of Object.entries(nodeGrads.grads)) {
      const got = gpuGrads.grads[name]!;
      expect(got.length, name).toBe(ref.length);
      expect(got.every(Number.isFinite), `${name} has non-finite gradients`).toBe(true);
      const bound = atol + rtol * maxAbs(ref);
      const ratio = maxAbsDiff(got, ref) / bound;
      if (ratio > worst.ratio) worst = { name, ratio };
    }
    console.info(
      `webgpu vs wasm gradients: loss diff ${Math.abs(gpuGrads.loss - nodeGrads.loss).toExponential(2)}; ` +
        `worst tensor ${worst.name} at ${(worst.ratio * 100).toFixed(1)}% of its tolerance`,
    );
    expect(worst.ratio, worst.name).toBeLessThanOrEqual(1);
  });

  it("onnxruntime-web's WebGPU EP (the lab's inference beside tfjs-webgpu) runs the in-memory graph like tfjs-webgpu (≤ 1e-5)", () => {
    console.info(`ORT webgpu vs tfjs webgpu: embeddings ${ortGpu.embeddingDiff.toExponential(2)}, hidden ${ortGpu.hiddenDiff.toExponential(2)}`);
    expect(ortGpu.runtime).toBe('onnxruntime-web webgpu');
    expect(ortGpu.values).toBe(4 * 10 * 32);
    expect(ortGpu.embeddingDiff).toBeLessThanOrEqual(1e-5);
    expect(ortGpu.hiddenDiff).toBeLessThanOrEqual(1e-5);
  });

  it('counts dispatches, readbacks, uploads, compiled programs and GPU bytes of known work', () => {
    console.info(`webgpu counts: ${JSON.stringify(counts)}`);
    expect(counts.values.map((v) => Number(v.toFixed(5)))).toEqual([0, 0.7854, 1.10715]);
    for (const c of [counts.first, counts.second]) {
      expect(c.dispatches).toBe(1); // one atan2 kernel
      expect(c.readbacks).toBe(1); // one data()
      expect(c.uploads).toBeGreaterThanOrEqual(2); // both operands
      expect(c.uploadBytes).toBeGreaterThanOrEqual(2 * 4096 * 4);
      expect(c.submits).toBeGreaterThanOrEqual(1);
      expect(c.peakBufferBytes).toBeGreaterThanOrEqual(3 * 4096 * 4);
    }
    expect(counts.first.pipelines).toBe(1);
    expect(counts.second.pipelines).toBe(0); // tfjs caches the compiled program
  });
});
