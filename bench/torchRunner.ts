import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch', 'torchBench.py');

export interface TorchBenchResult {
  backend: 'pytorch-cpu';
  torch: string;
  threads: number;
  params: number;
  python: string;
  train: { warmupMs: number; stepsMs: number[]; medianMs: number; loss: number };
  encode: { warmupMs: number; batchesMs: number[]; textsPerSec: number };
}

/**
 * The first Python that imports torch: $FTLAB_TORCH_PYTHON, then `python3` on PATH, then Debian's /usr/bin/python3
 * (where `apt-get install python3-torch` puts it even when PATH's python3 is a pyenv one).
 */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.FTLAB_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0);
}

/** Runs bench/torch/torchBench.py on the same shape, batch and thread count; `{error}` when torch is missing or the run fails. */
export function runTorchBench(
  job: { config: BertConfig; batch: number; seq: number; trainSteps: number; encodeBatches: number; threads: number; seed: number },
  budgetMs: number,
  log: (m: string) => void,
): Promise<TorchBenchResult | { error: string }> {
  const python = findTorchPython();
  if (!python) return Promise.resolve({ error: 'no python3 with torch (apt-get install -y python3-torch libopenblas0-pthread)' });
  log(`  [pytorch] ${python}, ${job.threads} thread(s)`);
  return new Promise((resolve) => {
    const child = spawn(python, [script, JSON.stringify({ ...job, budgetMs })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs + 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ ...(JSON.parse(out) as TorchBenchResult), python });
      } catch {
        resolve({ error: `torch bench exited with code ${code}: ${err.trim().split('\n').slice(-3).join(' ')}` });
      }
    });
  });
}
