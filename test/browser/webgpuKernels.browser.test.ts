import { beforeAll, describe, expect, it } from 'vitest';
import { withBrowserPage } from '../helpers/browser.ts';
import type { KernelCaseResult } from './kernelCases.ts';
import type { AdamWParity } from './webgpuKernels.ts';
import type { WebGpuCounts } from '../../src/workers/webgpuCounters.ts';

/**
 * ftlab's custom WebGPU kernels (src/training/nn/webgpu/, src/training/optim/webgpuAdamW.ts) against tfjs'
 * composite ops on the same SwiftShader WebGPU device in headless Chromium, and the GPU work they save.
 */
let backend: string;
let kernels: KernelCaseResult[];
let adam: AdamWParity;
let errors: string[];
let counts: { composite: WebGpuCounts; fused: WebGpuCounts; losses: [number, number] };

beforeAll(async () => {
  await withBrowserPage('test/browser/webgpuKernels.ts', async (_page, page) => {
    backend = await page.call<string>('useWebGpu');
    if (backend !== 'webgpu') return;
    kernels = await page.call<KernelCaseResult[]>('kernelParity');
    adam = await page.call<AdamWParity>('adamWParity');
    counts = await page.call('stepCounts');
    errors = await page.call<string[]>('deviceErrors');
  });
}, 180_000);

describe('custom WebGPU kernels', () => {
  it('run on webgpu, and every shader compiles and validates', () => {
    expect(backend).toBe('webgpu');
    expect(errors).toEqual([]);
  });

  it('match the composite ops: forward ≤ 1e-5, gradients ≤ 1e-4 relative', () => {
    for (const k of kernels) {
      console.info(`${k.name}: forward ${k.forward.toExponential(2)}, gradients ${k.grads.map((g) => g.toExponential(1)).join(' ')}`);
      expect(k.scale, k.name).toBeGreaterThan(0.1);
      expect(k.forward, k.name).toBeLessThanOrEqual(1e-5);
      for (const g of k.grads) expect(g, k.name).toBeLessThanOrEqual(1e-4);
    }
    expect(kernels.map((k) => k.name)).toContain('BERT layer with dropout');
  });

  it('multi-tensor AdamW + clipping matches AdamW + clipGradNorm, refuses a non-finite step and resumes', () => {
    console.info(`fused AdamW: ${JSON.stringify(adam)}`);
    for (const [a, b] of adam.norms) expect(Math.abs(a - b) / a).toBeLessThanOrEqual(1e-6);
    expect(adam.norms.some(([a]) => a > 4)).toBe(true); // clipping was exercised
    expect(adam.norms.some(([a]) => a < 4)).toBe(true);
    expect(adam.weights).toBeLessThanOrEqual(1e-6);
    expect(adam.moments).toBeLessThanOrEqual(1e-6);
    expect(adam.nanApplied).toEqual([false, false]);
    expect(adam.nanMoved).toBe(0);
    expect(adam.resumed).toBeLessThanOrEqual(1e-6);
    expect(adam.leaked).toBe(0);
  });

  it('cut a train step to under a quarter of the dispatches, with one readback', () => {
    console.info(`train step, composite: ${JSON.stringify(counts.composite)}`);
    console.info(`train step, fused: ${JSON.stringify(counts.fused)}`);
    expect(Math.abs(counts.losses[0] - counts.losses[1])).toBeLessThanOrEqual(1e-4);
    expect(counts.fused.dispatches).toBeLessThanOrEqual(counts.composite.dispatches / 4);
    expect(counts.fused.readbacks).toBe(1);
    expect(counts.composite.readbacks).toBe(1);
  });
});
