import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyModuleDirs, type ModelFiles } from '../training/export/modelFiles.ts';

/** Writes a model folder (creating parents and sentence-transformers' empty module folders such as 2_Normalize). */
export async function writeModelFiles(dir: string, files: ModelFiles): Promise<void> {
  const root = path.resolve(dir);
  const inside = (rel: string) => {
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) throw new Error(`model file path "${rel}" escapes ${root}`);
    return target;
  };
  for (const [rel, data] of files) {
    const target = inside(rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  for (const rel of emptyModuleDirs(files)) await mkdir(inside(rel), { recursive: true });
}
