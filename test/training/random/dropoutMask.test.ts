import { describe, expect, it } from 'vitest';
import { dropThreshold, dropoutMask, keepScale, pcgHash, seedMix } from '../../../src/training/random/dropoutMask.ts';

describe('dropout masks from a counter-based hash', () => {
  it('is PCG-RXS-M-XS in exact u32 arithmetic (values from an independent Python implementation)', () => {
    // python: s = (v*747796405 + 2891336453) & M; w = (((s >> ((s >> 28) + 4)) ^ s) * 277803737) & M; (w >> 22) ^ w
    expect([0, 1, 123456789, 0xffffffff].map(pcgHash)).toEqual([129708002, 2831084092, 4272394698, 3861530882]);
    expect(seedMix('7:3')).toBe(2275138265); // FNV-1a of the string, then the hash
    expect(dropThreshold(0.1)).toBe(1677722);
  });

  it('keeps 1 - rate of the elements, scaled by 1 / (1 - rate), reproducibly per seed', () => {
    const n = 200_000;
    for (const rate of [0.1, 0.5]) {
      const m = dropoutMask(seedMix('a:0'), n, rate);
      const kept = m.filter((x) => x !== 0);
      expect(Math.abs(kept.length / n - (1 - rate))).toBeLessThan(0.005);
      expect(new Set(kept)).toEqual(new Set([keepScale(rate)]));
      expect(keepScale(rate)).toBe(Math.fround(1 / (1 - rate)));
    }
    expect(dropoutMask(seedMix('a:0'), 1000, 0.1)).toEqual(dropoutMask(seedMix('a:0'), 1000, 0.1));
    // another site draws another mask, and neither is a shifted copy of the other
    const [a, b] = [dropoutMask(seedMix('a:0'), 4096, 0.5), dropoutMask(seedMix('a:1'), 4096, 0.5)];
    const agree = (shift: number) => a.slice(shift).reduce((s, x, i) => s + (x === b[i] ? 1 : 0), 0) / (a.length - shift);
    for (const shift of [0, 1, 7, 100]) expect(Math.abs(agree(shift) - 0.5)).toBeLessThan(0.05);
    expect(seedMix(7)).toBe(pcgHash(7));
    expect(seedMix(undefined)).not.toBe(seedMix(undefined));
  });
});
