import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';
import { flags } from './cli.ts';
import { runPythonReference } from './pythonReference.ts';

/** Runs test/reference/train_reference.py (numpy float64) on one JSON request. */
export function trainReference<T = Record<string, unknown>>(request: Record<string, unknown>): T {
  return runPythonReference('train_reference.py', request);
}

/** max |a-b| / max(|b|, floor) over paired arrays */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return worst;
}

/** Several requests in one python process. */
export function trainReferenceBatch<T = Record<string, unknown>>(requests: Record<string, unknown>[]): T[] {
  return trainReference<T[]>({ batch: requests });
}

/** How one tensor of a CLI run compares with the numpy reference's weights after the same steps. */
export interface WeightDiff {
  name: string;
  /** max |trained − reference| */
  diff: number;
  /** max |reference|, to make `diff` relative */
  scale: number;
  /** max |reference − base|: how far the reference's updates moved it */
  moved: number;
  /** max |trained − base|: how far ftlab's updates moved it */
  drift: number;
}

/** Compares `model.safetensors` in the run's output folder and the base folder against the reference's weights. */
export function weightDiffs(outDir: string, baseDir: string, reference: Record<string, ArrayLike<number>>): WeightDiff[] {
  const read = (dir: string) => readSafetensors(new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))));
  const trained = read(outDir);
  const base = read(baseDir);
  return Object.entries(reference).map(([name, want]) => {
    const got = trained.get(name)!.data;
    const start = base.get(name)!.data;
    const d = { name, diff: 0, scale: 0, moved: 0, drift: 0 };
    for (let i = 0; i < want.length; i++) {
      d.diff = Math.max(d.diff, Math.abs(got[i]! - want[i]!));
      d.scale = Math.max(d.scale, Math.abs(want[i]!));
      d.moved = Math.max(d.moved, Math.abs(want[i]! - start[i]!));
      d.drift = Math.max(d.drift, Math.abs(got[i]! - start[i]!));
    }
    return d;
  });
}

/** What a training-parity test gives both `ftlab train` and the reference (in the reference's snake_case names). */
export interface ParityHyper {
  lr: number;
  weight_decay: number;
  warmup_steps: number;
  total_steps: number;
  scheduler: string;
  max_grad_norm: number;
}

/** `ftlab train` flags for a parity run: the reference's hyperparameters, batches in file order, a JSON line per step. */
export function parityTrainFlags(h: ParityHyper, batchSize: number): string[] {
  return flags({
    steps: h.total_steps,
    'batch-size': batchSize,
    lr: h.lr,
    'weight-decay': h.weight_decay,
    'warmup-steps': h.warmup_steps,
    scheduler: h.scheduler,
    'max-grad-norm': h.max_grad_norm,
    'no-shuffle': true,
    'log-json': true,
  });
}

/** Batch k of an unshuffled run over `rows`: file order, drop_last false (the epoch's last batch is short), then the file again. */
export function fileOrderBatch<T>(rows: T[], batchSize: number, k: number): T[] {
  const start = (k % Math.ceil(rows.length / batchSize)) * batchSize;
  return rows.slice(start, start + batchSize);
}

/** Each step's loss (1e-5) and gradient norm (1e-3) match the reference's, relatively, and clipping acted at least once. */
export function expectStepsMatch(
  events: { loss: number; gradNorm: number }[],
  ref: { losses: number[]; grad_norms: number[] },
  h: ParityHyper,
): void {
  for (let k = 0; k < h.total_steps; k++) {
    expect(Math.abs(events[k]!.loss - ref.losses[k]!) / Math.abs(ref.losses[k]!)).toBeLessThan(1e-5);
    expect(Math.abs(events[k]!.gradNorm - ref.grad_norms[k]!) / ref.grad_norms[k]!).toBeLessThan(1e-3);
  }
  // clipping must have been exercised for the comparison to mean something
  expect(ref.grad_norms.some((n) => n > h.max_grad_norm)).toBe(true);
}
