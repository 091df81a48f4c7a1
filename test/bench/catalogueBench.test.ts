import { describe, expect, it } from 'vitest';
import { commonRatio, maxAbsDiff } from '../../bench/catalogueBench.ts';
import { sampleTexts } from '../../bench/catalogueModel.ts';
import type { CatalogueResult } from '../../bench/browser/cataloguePage.ts';

/** The catalogue bench's arithmetic: the ratio must only compare chunks both engines finished. */

const result = (chunksMs: number[]): CatalogueResult => ({
  engine: 'tfjs',
  backend: 'wasm',
  threads: 1,
  loadMs: 0,
  warmupMs: 0,
  chunksMs,
  texts: 64 * chunksMs.length,
  textsPerSec: 0,
  complete: false,
  sample: [],
});

describe('catalogue bench', () => {
  it('takes the tfjs ÷ transformers.js throughput ratio over the common chunks only', () => {
    // tfjs finished 3 chunks in 1 s each, transformers.js 2 chunks in 2 s each: tfjs is twice as fast there
    expect(commonRatio(result([1000, 1000, 1000]), result([2000, 2000]))).toEqual({ ratio: 2, chunks: 2 });
    expect(commonRatio(result([3000]), result([1000, 5000]))).toEqual({ ratio: 0.333, chunks: 1 });
    expect(commonRatio(result([]), result([1000]))).toEqual({ ratio: null, chunks: 0 });
    expect(commonRatio(undefined, result([1000]))).toEqual({ ratio: null, chunks: 0 });
  });

  it('reports the largest embedding difference, and a missing value as infinitely different', () => {
    expect(
      maxAbsDiff(
        [
          [0.5, -0.25],
          [1, 0],
        ],
        [
          [0.5, -0.5],
          [0.875, 0],
        ],
      ),
    ).toBe(0.25);
    expect(maxAbsDiff([[1, 2]], [[1]])).toBe(Infinity);
    expect(
      maxAbsDiff(
        [
          [1, 2],
          [3, 4],
        ],
        [[1, 2]],
      ),
    ).toBe(Infinity);
    expect(maxAbsDiff([], [[1]])).toBeNull();
  });

  it('samples the catalogue by a seeded shuffle: deterministic, no repeats, not the file order', () => {
    const texts = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const a = sampleTexts(texts, 100, 42);
    expect(sampleTexts(texts, 100, 42)).toEqual(a);
    expect(new Set(a).size).toBe(100);
    expect(a).not.toEqual(texts.slice(0, 100));
    expect(sampleTexts(texts, 100, 7)).not.toEqual(a);
    expect(sampleTexts(texts, 5000, 42)).toHaveLength(1000);
  });
});
