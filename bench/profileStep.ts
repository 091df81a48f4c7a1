/**
 * Where a MiniLM-L6 MNRL train step's time goes on Node wasm: tf.profile over one step (after a warm-up),
 * kernel time grouped by op family, and what is left (JS dispatch, tape and gradient bookkeeping).
 *   npx tsx bench/profileStep.ts [--checkpoint on|off] [--batch 32] [--seq 32] [--config path/to/config.json]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { initNodeBackend, backendThreads } from '../src/cli/nodeBackend.ts';
import { BertModel } from '../src/training/models/bert/bert.ts';
import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { pool } from '../src/training/models/pooling.ts';
import { mnrlFromEmbeddings } from '../src/training/losses/mnrl.ts';
import { AdamW } from '../src/training/optim/adamw.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { Rng } from '../src/training/random/rng.ts';
import { miniLmConfig, syntheticBatch } from './textBench.ts';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string', default: 'on' },
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '32' },
    config: { type: 'string' },
  },
});
await initNodeBackend('wasm');
const B = Number(values.batch);
const S = Number(values.seq);
const checkpoint = values.checkpoint !== 'off';
// a Hugging Face config.json (e.g. a from-scratch model's) instead of MiniLM-L6's shape
const config: BertConfig = values.config ? { ...miniLmConfig, ...JSON.parse(readFileSync(values.config, 'utf8')) } : miniLmConfig;
const model = BertModel.fromWeights(config, randomBertWeights(config, { seed: 1 }));
const params = model.trainableParams();
const names = [...params.keys()];
const byVar = new Map(names.map((n) => [params.get(n)!.name, n]));
const opt = new AdamW(params);
const rng = new Rng(1);
const x = syntheticBatch(rng, config, B, S);
const y = syntheticBatch(rng, config, B, S);

const groups: [string, RegExp][] = [
  ['matMul', /MatMul/],
  ['transpose', /^Transpose$/],
  ['gather/scatter', /Gather|Scatter|OneHot/],
  ['reduce', /^(Sum|Mean|Max|Min|Prod)$/],
  ['softmax', /Softmax/],
  ['elementwise', /.*/],
];

async function step(i: number) {
  const { value, grads } = tf.variableGrads(
    () => {
      const ea = pool(model.forward(x, { training: true, seed: 2 * i, checkpoint }), x.attentionMask, 'mean');
      const ep = pool(model.forward(y, { training: true, seed: 2 * i + 1, checkpoint }), y.attentionMask, 'mean');
      return mnrlFromEmbeddings(ea, ep, null, 20);
    },
    names.map((n) => params.get(n)!),
  );
  const gs = new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k) ?? k, g]));
  const tOpt = performance.now();
  opt.step(gs, 2e-5);
  tf.dispose(Object.values(grads));
  await value.data();
  value.dispose();
  return performance.now() - tOpt;
}

await step(0);
const t0 = performance.now();
let optMs = 0;
const prof = await tf.profile(async () => {
  optMs = await step(1);
});
const wall = performance.now() - t0;
const byGroup: Record<string, { ms: number; kernels: number }> = {};
const byName: Record<string, { ms: number; n: number }> = {};
// customGrad and named scopes show up as entries that contain their inner kernels: only real kernels count
const real = prof.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined);
for (const k of real) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const g = groups.find(([, re]) => re.test(k.name))![0];
  (byGroup[g] ??= { ms: 0, kernels: 0 }).ms += ms;
  byGroup[g]!.kernels++;
  (byName[k.name] ??= { ms: 0, n: 0 }).ms += ms;
  byName[k.name]!.n++;
}
// matMuls by operand shapes: which products dominate, and which run on wasm's slow transposed path
const mm: Record<string, { ms: number; n: number }> = {};
for (const k of real.filter((k) => /MatMul/.test(k.name))) {
  const key = JSON.stringify(k.inputShapes);
  (mm[key] ??= { ms: 0, n: 0 }).ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  mm[key]!.n++;
}
const kernelMs = Object.values(byGroup).reduce((s, g) => s + g.ms, 0);
const round = (v: number) => Math.round(v);
const top = Object.entries(byName)
  .sort((a, b) => b[1].ms - a[1].ms)
  .slice(0, 15);
process.stdout.write(
  JSON.stringify(
    {
      threads: backendThreads(),
      checkpoint,
      batch: B,
      seq: S,
      wallMs: round(wall),
      kernelMs: round(kernelMs),
      notInKernelsMs: round(wall - kernelMs),
      optimizerStepMs: round(optMs),
      kernels: real.length,
      groups: Object.fromEntries(
        Object.entries(byGroup).map(([g, v]) => [g, { ms: round(v.ms), kernels: v.kernels, share: Number((v.ms / wall).toFixed(3)) }]),
      ),
      matMulShapes: Object.fromEntries(
        Object.entries(mm)
          .sort((a, b) => b[1].ms - a[1].ms)
          .slice(0, 20)
          .map(([k, v]) => [k, { ms: round(v.ms), n: v.n }]),
      ),
      topKernels: Object.fromEntries(top.map(([n, v]) => [n, { ms: round(v.ms), n: v.n }])),
    },
    null,
    1,
  ) + '\n',
);
