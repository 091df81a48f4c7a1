import { execFileSync } from 'node:child_process';
import path from 'node:path';

const folder = path.join(import.meta.dirname, '..', 'reference');

/**
 * Runs test/reference/<script> (python3 + numpy) with `request` as JSON on stdin and returns its JSON answer.
 * Starting python and numpy costs seconds on a loaded machine, so the scripts take arrays of requests.
 */
export function runPythonReference<T>(script: string, request: unknown): T {
  const out = execFileSync('python3', [path.join(folder, script)], { input: JSON.stringify(request), maxBuffer: 1 << 30, encoding: 'utf8' });
  return JSON.parse(out) as T;
}
