/**
 * Resumable pipeline steps (UKPLab/gpl style): each step has one output file or folder, written under a
 * temporary name and renamed when complete, so an interrupted run never leaves a half-written output that a
 * re-run would mistake for a finished step. A step whose output exists is skipped.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFiles } from '../../training/export/modelFiles.ts';
import { writeModelFiles } from '../writeModelFiles.ts';

export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

const tempName = (target: string) => path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tempName(path.resolve(file));
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Writes a model folder next to `dir` and renames it into place, replacing an existing folder. */
export async function writeModelDirAtomic(dir: string, files: ModelFiles): Promise<void> {
  const target = path.resolve(dir);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempName(target);
  await rm(tmp, { recursive: true, force: true });
  await writeModelFiles(tmp, files);
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
}

export interface StepLog {
  /** runs `work` unless `output` exists; returns whether it ran */
  (name: string, output: string, work: () => Promise<void>): Promise<boolean>;
}

/** Numbered step runner printing "[gpl] step i/n name: ..." lines on stderr. */
export function stepRunner(prefix: string, total: number): StepLog {
  let i = 0;
  return async (name, output, work) => {
    i++;
    const tag = `[${prefix}] step ${i}/${total} ${name}`;
    if (await pathExists(output)) {
      process.stderr.write(`${tag}: skipped, ${output} exists (delete it to redo this step)\n`);
      return false;
    }
    process.stderr.write(`${tag}: running -> ${output}\n`);
    const t0 = performance.now();
    await work();
    process.stderr.write(`${tag}: done in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);
    return true;
  };
}
