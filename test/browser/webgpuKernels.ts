import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { AdamW, type Optimizer } from '../../src/training/optim/adamw.ts';
import { WebGpuAdamW } from '../../src/training/optim/webgpuAdamW.ts';
import { createAdamW } from '../../src/training/optim/createAdamW.ts';
import { setFusedKernels } from '../../src/training/nn/webgpu/gpuProgram.ts';
import { BertModel } from '../../src/training/models/bert/bert.ts';
import { pool } from '../../src/training/models/pooling.ts';
import { mnrlFromEmbeddings } from '../../src/training/losses/mnrl.ts';
import { randomBertWeights } from '../../src/training/init/randomBert.ts';
import { Rng } from '../../src/training/random/rng.ts';
import { countsBetween, installWebGpuCounters, type WebGpuCounts } from '../../src/workers/webgpuCounters.ts';
import { parityConfig, tokenBatch } from './parityCase.ts';

export { kernelParity } from './kernelCases.ts';

const gpuErrors: string[] = [];

/** Switches to webgpu and collects the device's uncaptured errors (an invalid shader fails silently otherwise). */
export async function useWebGpu(): Promise<string> {
  await tf.setBackend('webgpu');
  await tf.ready();
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  device?.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
  return tf.getBackend();
}

export async function deviceErrors(): Promise<string[]> {
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  await device.queue.onSubmittedWorkDone();
  return gpuErrors;
}

export interface AdamWParity {
  /** per step: [composite norm, fused norm] */
  norms: [number, number][];
  /** max relative difference of the weights and of the moments after the steps */
  weights: number;
  moments: number;
  /** the non-finite step: whether either updated, and whether the fused weights moved */
  nanApplied: [boolean, boolean];
  nanMoved: number;
  /** a fused optimizer restored from the composite's state, one more step: difference to the composite */
  resumed: number;
  leaked: number;
}

const rel = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let m = 0;
  b.forEach((x, i) => ((d = Math.max(d, Math.abs(a[i]! - x))), (m = Math.max(m, Math.abs(x)))));
  return d / m;
};
const read = (vars: Map<string, tf.Variable>) => Promise.all([...vars.values()].map((v) => v.data() as Promise<Float32Array>));
const worst = async (a: Map<string, tf.Variable>, b: Map<string, tf.Variable>) => {
  const [x, y] = [await read(a), await read(b)];
  return Math.max(...x.map((v, i) => rel(v, y[i]!)));
};

/** WebGpuAdamW against AdamW + clipGradNorm (tfjs ops on the same backend) over steps with and without clipping. */
export async function adamWParity(): Promise<AdamWParity> {
  const before = tf.memory().numTensors;
  const shapes: [string, number[]][] = [
    ['a.weight', [30, 20]],
    ['a.bias', [30]],
    ['LayerNorm.weight', [20]],
    ['b.weight', [1000, 3]],
  ];
  const rng = new Rng(5);
  const init = shapes.map(([, s]) => Float32Array.from({ length: s.reduce((x, y) => x * y) }, () => rng.normal()));
  const make = () => new Map(shapes.map(([n, s], i) => [n, tf.tidy(() => tf.variable(tf.tensor(init[i]!, s)))]));
  const [pa, pb] = [make(), make()];
  const [oa, ob]: Optimizer[] = [new AdamW(pa, { weightDecay: 0.1 }), new WebGpuAdamW(pb, { weightDecay: 0.1 })];
  const grads = (k: number, bad = false) =>
    new Map(
      shapes.map(([n, s]) => [
        n,
        tf.tensor(
          Float32Array.from({ length: s.reduce((x, y) => x * y) }, () => (bad ? NaN : rng.normal() * (k + 1) * 0.05)),
          s,
        ),
      ]),
    );
  const norms: [number, number][] = [];
  for (let k = 0; k < 5; k++) {
    const g = grads(k);
    const loss = tf.scalar(k + 0.5);
    // maxNorm 4: the first steps are left alone, the later ones clipped
    const [ra, rb] = [await oa.update(g, loss, 1e-2, 4), await ob.update(g, loss, 1e-2, 4)];
    norms.push([ra.norm, rb.norm]);
    tf.dispose([...g.values(), loss]);
  }
  const weights = await worst(pb, pa);
  const [sa, sb] = [await oa.exportState(), await ob.exportState()];
  const moments = Math.max(
    ...[...sa.m.keys()].flatMap((n) => [rel(sb.m.get(n)!.data, sa.m.get(n)!.data), rel(sb.v.get(n)!.data, sa.v.get(n)!.data)]),
  );
  const beforeNan = await read(pb);
  const g = grads(0, true);
  const loss = tf.scalar(1);
  const nanApplied: [boolean, boolean] = [(await oa.update(g, loss, 1e-2, 4)).applied, (await ob.update(g, loss, 1e-2, 4)).applied];
  tf.dispose([...g.values(), loss]);
  const afterNan = await read(pb);
  const nanMoved = Math.max(...afterNan.map((v, i) => rel(v, beforeNan[i]!)));
  // resume: weights and moments of the composite run into a fresh fused optimizer
  const pc = make();
  for (const [n, v] of pa) pc.get(n)!.assign(v);
  const oc = new WebGpuAdamW(pc, { weightDecay: 0.1 });
  oc.importState(sa);
  const g2 = grads(6);
  const l2 = tf.scalar(2);
  await oa.update(g2, l2, 1e-2, 4);
  await oc.update(g2, l2, 1e-2, 4);
  tf.dispose([...g2.values(), l2]);
  const resumed = await worst(pc, pa);
  for (const o of [oa, ob, oc]) o.dispose();
  for (const m of [pa, pb, pc]) for (const v of m.values()) v.dispose();
  return { norms, weights, moments, nanApplied, nanMoved, resumed, leaked: tf.memory().numTensors - before };
}

/**
 * GPU work of one MNRL + AdamW + clipping step of a 6-layer tiny BERT (MiniLM-L6's depth and tensor count at
 * toy width: dispatch counts depend on the structure, not the size), with and without the custom kernels.
 */
const countConfig = { ...parityConfig, num_hidden_layers: 6 };
export async function stepCounts(): Promise<{ composite: WebGpuCounts; fused: WebGpuCounts; losses: [number, number] }> {
  const counter = installWebGpuCounters((tf.backend() as unknown as { device: GPUDevice }).device);
  const measure = async (fused: boolean) => {
    setFusedKernels(fused);
    const model = BertModel.fromWeights(countConfig, randomBertWeights(countConfig, { seed: 3, perturbAll: true }));
    const params = model.trainableParams();
    const byVar = new Map([...params].map(([n, v]) => [v.name, n]));
    const opt = createAdamW(params);
    const rng = new Rng(8);
    const [a, p] = [tokenBatch(rng), tokenBatch(rng)];
    const step = async (seed: number) => {
      const { value, grads } = tf.variableGrads(() => {
        const ea = pool(model.forward(a, { training: true, seed }), a.attentionMask, 'mean');
        const ep = pool(model.forward(p, { training: true, seed: seed + 1 }), p.attentionMask, 'mean');
        return mnrlFromEmbeddings(ea, ep, null, 20);
      });
      const r = await opt.update(new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k) ?? k, g])), value, 1e-3, 1);
      tf.dispose([value, ...Object.values(grads)]);
      return r.loss;
    };
    await step(0); // compiles the programs
    const before = counter.snapshot();
    const loss = await step(2);
    const counts = countsBetween(before, counter.snapshot());
    opt.dispose();
    model.dispose();
    for (const x of [a, p]) tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);
    setFusedKernels(true);
    return { counts, loss };
  };
  const composite = await measure(false);
  const fused = await measure(true);
  return { composite: composite.counts, fused: fused.counts, losses: [composite.loss, fused.loss] };
}
