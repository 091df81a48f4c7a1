import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeModelFiles } from '../../src/cli/writeModelFiles.ts';
import type { ModelFiles } from '../../src/training/export/modelFiles.ts';

const made = new Map<string, Promise<string>>();

/**
 * Writes the files `build` returns into `dir`, or without one into a temp folder `<prefix>…` made once per
 * (prefix, options) in this process: every caller asking for the same ones shares it, so treat it as read-only.
 */
export function modelFolder(prefix: string, options: object, build: () => ModelFiles | Promise<ModelFiles>, dir?: string): Promise<string> {
  const key = `${prefix}${JSON.stringify(options)}`;
  if (!dir && made.has(key)) return made.get(key)!;
  const folder = (async () => {
    const target = dir ?? (await mkdtemp(path.join(os.tmpdir(), prefix)));
    await writeModelFiles(target, await build());
    return target;
  })();
  if (!dir) made.set(key, folder);
  return folder;
}
