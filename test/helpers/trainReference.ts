import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';

const script = fileURLToPath(new URL('../reference/train_reference.py', import.meta.url));

/** Runs test/reference/train_reference.py (numpy float64) on one JSON request. */
export function trainReference<T = Record<string, unknown>>(request: Record<string, unknown>): T {
  const out = execFileSync('python3', [script], { input: JSON.stringify(request), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as T;
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
