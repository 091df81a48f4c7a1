import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import { applyWiseFt, checkWiseAlpha } from '../../../src/training/models/wiseFt.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';
import { familyForType } from '../../../src/training/families/registry.ts';
import { wiseGraphs } from '../../../src/training/families/wiseGraphs.ts';

/**
 * WiSE-FT over two sentence encoders of one architecture (two seeds stand for the base and the fine-tuned
 * weights): the end points reproduce each model's embeddings exactly, the middle is the elementwise mean.
 */
let baseDir = '';
let tunedDir = '';
let otherDir = '';
beforeAll(async () => {
  baseDir = await makeTinyModel(undefined, { seed: 1 });
  tunedDir = await makeTinyModel(undefined, { seed: 2 });
  otherDir = await makeTinyModel(undefined, { seed: 1, layers: 1 });
});
const load = (dir: string) => loadSentenceEncoder(folderSource(dir));
const texts = tinyCorpus.slice(0, 6);
const embed = async (dir: string, alpha?: number) => {
  const tuned = await load(dir);
  const base = await load(baseDir);
  try {
    if (alpha !== undefined) applyWiseFt(tuned.model.params, base.model.params, alpha);
    return (await tuned.encode(texts)).map((v) => Array.from(v));
  } finally {
    tuned.dispose();
    base.dispose();
  }
};

describe('WiSE-FT', () => {
  it('alpha 0 gives the base model and alpha 1 the fine-tuned one, exactly', async () => {
    const [base, tuned] = [await embed(baseDir), await embed(tunedDir)];
    expect(base).not.toEqual(tuned);
    expect(await embed(tunedDir, 0)).toEqual(base);
    expect(await embed(tunedDir, 1)).toEqual(tuned);
  });

  it('alpha 0.25 is 0.75 × base + 0.25 × tuned in every parameter, and leaks no tensor', async () => {
    const [tuned, base, copy] = [await load(tunedDir), await load(baseDir), await load(tunedDir)];
    const before = tf.memory().numTensors;
    applyWiseFt(tuned.model.params, base.model.params, 0.25);
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (const [name, v] of tuned.model.params) {
      const [got, b, t] = [v.dataSync(), base.model.params.get(name)!.dataSync(), copy.model.params.get(name)!.dataSync()];
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - (0.75 * b[i]! + 0.25 * t[i]!)));
    }
    expect(worst).toBeLessThan(1e-6);
    for (const m of [tuned, base, copy]) m.dispose();
  });

  it('refuses an alpha outside [0, 1] and a base of another architecture, naming the parameter', async () => {
    for (const a of [-0.1, 1.5, NaN]) expect(() => checkWiseAlpha(a, '--wise-alpha')).toThrow(/--wise-alpha must be a number from 0/);
    const [tuned, other] = [await load(tunedDir), await load(otherDir)];
    expect(() => applyWiseFt(tuned.model.params, other.model.params, 0.5, 'models/other')).toThrow(
      /models\/other has no parameter "encoder\.layer\.1\..*": WiSE-FT needs the model the fine-tune started from/,
    );
    expect(() => applyWiseFt(other.model.params, tuned.model.params, 0.5)).toThrow(/has parameters the fine-tuned model lacks: encoder\.layer\.1/);
    tuned.dispose();
    other.dispose();
  });

  it('wiseGraphs builds the graph of θ(α) on the tuned variables and puts them back, bit for bit', async () => {
    const [tuned, base] = [await load(tunedDir), await load(baseDir)];
    const family = familyForType('bert');
    const before = new Map([...tuned.model.params].map(([k, v]) => [k, Array.from(v.dataSync())]));
    const count = tf.memory().numTensors;
    const graphs = wiseGraphs(family, tuned, base);
    const [g0, g1] = [await graphs.graph(0), await graphs.graph(1)];
    expect(Buffer.from(g0.bytes).equals(Buffer.from((await family.onnxTextGraph!(base)).bytes))).toBe(true);
    graphs.dispose();
    expect(Buffer.from(g1.bytes).equals(Buffer.from((await family.onnxTextGraph!(tuned)).bytes))).toBe(true);
    for (const [k, v] of tuned.model.params) expect(Array.from(v.dataSync()), k).toEqual(before.get(k));
    const alone = wiseGraphs(family, tuned);
    await expect(alone.graph(0.5)).rejects.toThrow(/α 0\.5 needs the base model/);
    alone.dispose();
    expect(tf.memory().numTensors).toBe(count);
    tuned.dispose();
    base.dispose();
  });
});
