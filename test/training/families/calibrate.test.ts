import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { calibrateTraining } from '../../../src/training/families/calibrate.ts';
import { defaultFlops } from '../../../src/training/families/estimate.ts';
import { estimateSentenceRun } from '../../../src/training/families/sentence/estimateSentence.ts';
import type { ClipShape, TextShape } from '../../../src/training/families/shapes.ts';

const tiny: TextShape = { hidden: 32, layers: 2, heads: 4, intermediate: 64, vocabSize: 300, maxSeqLength: 32 };

describe('speed calibration', () => {
  it('times one step of a random model of the shape and turns it into the rate the estimate divides by', async () => {
    const before = tf.memory().numTensors;
    const c = await calibrateTraining({ model: tiny, batchSize: 4, seqLen: 16, textsPerRow: 2 }, 'wasm');
    expect(tf.memory().numTensors).toBe(before);
    expect(c).toMatchObject({ backend: 'wasm', batchSize: 4, seqLen: 16 });
    expect(c.stepSeconds).toBeGreaterThan(0);
    // the rate reproduces the measured step for the same request, and scales to other runs by FLOPs
    const same = estimateSentenceRun(
      { model: tiny, batchSize: 4, rows: 4, seqLen: 16, textsPerRow: 2 },
      { backend: 'wasm', flopsPerSecond: c.flopsPerSecond },
    );
    expect(same.secondsPerStep).toBeCloseTo(c.stepSeconds, 9);
    expect(same).toMatchObject({ measured: true, flopsPerSecond: c.flopsPerSecond });
    const rough = estimateSentenceRun({ model: tiny, batchSize: 4, rows: 4 }, { backend: 'wasm' });
    expect(rough).toMatchObject({ measured: false, flopsPerSecond: defaultFlops.wasm });
  });

  it('refuses CLIP shapes with a message saying the default rate is used', async () => {
    const clip = { text: {}, vision: {}, projectionDim: 8 } as unknown as ClipShape;
    await expect(calibrateTraining({ model: clip }, 'wasm')).rejects.toThrow(/CLIP runs is not supported yet/);
  });
});
