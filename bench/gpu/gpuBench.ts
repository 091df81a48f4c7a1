/**
 * The bench's MiniLM-L6 train step and encode batch on tfjs-webgpu in Node, on a real GPU through Dawn (the
 * `webgpu` npm package). Bundled into one file by bench/gpu/build.sh and run by bench/gpu/run.sh on a machine
 * with a GPU and no Node, no browser and no network. Prints one JSON document; exits 2 when Dawn finds no adapter.
 *   node gpuBench.mjs '{"steps": 10, "batch": 32, "seq": 32}'
 */
import * as tf from '@tensorflow/tfjs';
import { create, globals } from 'webgpu';
import { miniLmConfig, runTextBench } from '../textBench.ts';
import { trainStepFlops, encodeFlops } from '../flops.ts';
import { installWebGpuCounters } from '../../src/workers/webgpuCounters.ts';
import { setFusedKernels } from '../../src/training/nn/webgpu/gpuProgram.ts';

interface Job {
  steps?: number;
  batch?: number;
  seq?: number;
  /** also run with tfjs' composite ops instead of ftlab's kernels (the before figure) */
  composite?: boolean;
  budgetS?: number;
}

// `--torch-job '<job>'` prints the PyTorch CUDA anchor's job for the same shape (run.sh passes it to torchBench.py)
const torchJob = process.argv[2] === '--torch-job';
const job = JSON.parse(process.argv[torchJob ? 3 : 2] ?? '{}') as Job;
if (torchJob) {
  const steps = job.steps ?? 10;
  const torch = {
    config: miniLmConfig,
    batch: job.batch ?? 32,
    seq: job.seq ?? 32,
    trainSteps: steps,
    encodeBatches: steps,
    threads: 1,
    seed: 42,
    budgetMs: (job.budgetS ?? 240) * 1000,
    device: 'cuda',
  };
  console.log(JSON.stringify(torch));
  process.exit(0);
}
const log = (m: string) => process.stderr.write(`  [gpu] ${m}\n`);
const out: Record<string, unknown> = { bench: 'ftlab-gpu', date: new Date().toISOString(), job };

Object.assign(globalThis, globals);
const gpu = create([]);
// Node has a navigator without gpu; tfjs-webgpu registers itself only where navigator.gpu exists at import
if (globalThis.navigator) Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
await import('@tensorflow/tfjs-backend-webgpu');
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  out.error = 'no GPU adapter found (Dawn saw no Vulkan device: is the NVIDIA driver with its Vulkan ICD installed?)';
  console.log(JSON.stringify(out, null, 2));
  process.exit(2);
}
const info = (adapter as unknown as { info?: Record<string, unknown> }).info;
out.adapter = info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : null;
log(`adapter: ${JSON.stringify(out.adapter)}`);
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-webgpu did not initialise on this adapter');
await tf.ready();
const counter = installWebGpuCounters((tf.backend() as unknown as { device: GPUDevice }).device);

const batch = job.batch ?? 32;
const seq = job.seq ?? 32;
const run = async (fused: boolean) => {
  setFusedKernels(fused);
  const r = await runTextBench({
    config: miniLmConfig,
    batch,
    seq,
    trainSteps: job.steps ?? 10,
    pipelinedSteps: job.steps ?? 10,
    encodeBatches: job.steps ?? 10,
    seed: 42,
    budgetMs: (job.budgetS ?? 240) * 1000,
    gpuCounter: counter,
    log,
  });
  const step = 'medianMs' in r.train ? r.train.medianMs : undefined;
  return {
    ...r,
    trainTflops: step ? trainStepFlops(miniLmConfig, batch, seq) / (step / 1000) / 1e12 : null,
    encodeTflops: 'textsPerSec' in r.encode ? ((encodeFlops(miniLmConfig, batch, seq) / batch) * r.encode.textsPerSec) / 1e12 : null,
  };
};
out.fused = await run(true);
if (job.composite) out.composite = await run(false);
console.log(JSON.stringify(out, null, 2));
process.exit(0);
