/**
 * What Configure estimates for one GenQ epoch of all-MiniLM-L6-v2 on the bundled catalogue (19,406 products, one
 * query each, batch 16, (query, positive) rows) on this machine's Node wasm: with the backend's default rate
 * (the estimate before calibration) and with the rate calibrateTraining measures (Measure this device's speed).
 *   npx tsx bench/genqEstimate.ts [--rows 19406] [--batch 16]
 */
import { parseArgs } from 'node:util';
import { backendThreads, initNodeBackend } from '../src/cli/nodeBackend.ts';
import { calibrateTraining } from '../src/training/families/calibrate.ts';
import { familyForShape } from '../src/training/families/registry.ts';
import { curatedModels } from '../src/app/lib/models.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '19406' }, batch: { type: 'string', default: '16' } } });
await initNodeBackend('wasm');
const model = curatedModels.find((m) => m.id === 'sentence-transformers/all-MiniLM-L6-v2')!.shape;
const req = { model, batchSize: Number(values.batch), rows: Number(values.rows), epochs: 1, textsPerRow: 2 };
const family = familyForShape(model);
const before = family.estimate(req, { backend: 'wasm' });
const t0 = performance.now();
const cal = await calibrateTraining({ model, textsPerRow: 2 }, 'wasm');
const calibrationSeconds = (performance.now() - t0) / 1000;
const after = family.estimate(req, { backend: 'wasm', flopsPerSecond: cal.flopsPerSecond });
const view = (e: typeof before) => ({
  flopsPerSecond: Number(e.flopsPerSecond.toPrecision(3)),
  measured: e.measured,
  secondsPerStep: Number(e.secondsPerStep.toFixed(2)),
  totalSteps: e.totalSteps,
  totalHours: Number((e.totalSeconds / 3600).toFixed(2)),
});
const result = {
  what: 'one GenQ epoch of all-MiniLM-L6-v2 on the bundled catalogue, Configure estimate on Node wasm',
  threads: backendThreads(),
  request: { ...req, model: 'all-MiniLM-L6-v2 shape' },
  calibration: { ...cal, calibrationSeconds: Number(calibrationSeconds.toFixed(1)) },
  defaultRate: view(before),
  measuredRate: view(after),
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
