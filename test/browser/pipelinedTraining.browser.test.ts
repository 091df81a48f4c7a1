import { beforeAll, describe, expect, it } from 'vitest';
import { withBrowserPage } from '../helpers/browser.ts';
import type { LoopRun } from './pipelinedTraining.ts';

/**
 * On webgpu the training loop builds the next step before reading the current one's loss and norm
 * (src/training/train/trainLoop.ts with WebGpuAdamW). Reading late must change nothing: the same losses and
 * weights as a run that reads every step at once, and a NaN stop that keeps the last good weights.
 */
let backend: string;
let runs: Record<'pipelined' | 'eachStep' | 'poisoned', LoopRun>;

beforeAll(async () => {
  await withBrowserPage('test/browser/pipelinedTraining.ts', async (_page, page) => {
    backend = await page.call<string>('useWebGpu');
    if (backend === 'webgpu') runs = await page.call('loopRuns');
  });
}, 240_000);

describe('the pipelined training loop on webgpu', () => {
  it('runs ahead: when step 2 is reported, step 3 has already been applied', () => {
    expect(backend).toBe('webgpu');
    const { pipelined, eachStep } = runs;
    expect(pipelined.atStep2).toEqual(eachStep.atStep3);
    expect(pipelined.atStep2).not.toEqual(eachStep.atStep2);
  });

  it('trains exactly like the loop that reads every step at once, without leaking tensors', () => {
    const { pipelined, eachStep } = runs;
    expect(pipelined.result).toEqual({ step: 8, stopped: undefined, losses: eachStep.result.losses });
    expect(pipelined.result.losses).toHaveLength(8);
    expect(pipelined.final).toEqual(eachStep.final);
    expect([pipelined.leaked, eachStep.leaked]).toEqual([0, 0]);
  });

  it('stops on a NaN found late with the weights of the last good step', () => {
    const { poisoned, pipelined } = runs;
    // the poison lands after step 3 was applied, so step 4 is the first NaN; step 5, built before that
    // was read, is refused by the latched guard
    expect(poisoned.result).toMatchObject({ step: 3, stopped: 'nan' });
    expect(poisoned.result.losses).toEqual(pipelined.result.losses.slice(0, 3));
    expect(poisoned.message).toMatch(/loss is NaN at step 4; stopped before the update, weights are those after step 3/);
    for (const [k, v] of Object.entries(poisoned.final)) {
      if (k === 'embeddings.word_embeddings.weight') expect(v.some(Number.isNaN)).toBe(true);
      else expect(v, k).toEqual(pipelined.atStep2[k]);
    }
    expect(poisoned.leaked).toBe(0);
  });
});
