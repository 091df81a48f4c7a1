import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
