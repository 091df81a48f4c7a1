import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserializeCheckpoint, serializeCheckpoint, type Checkpoint, type CheckpointStore } from '../training/train/checkpoint.ts';

const pattern = /^checkpoint-(\d+)$/;

/**
 * Checkpoints on disk as `<dir>/checkpoint-<step>/{checkpoint.json, checkpoint.safetensors}`, written
 * to a temporary folder and renamed so an interrupted save never leaves a half checkpoint behind.
 * Only the newest `keep` are kept.
 */
export function folderCheckpointStore(dir: string, keep = 2): CheckpointStore {
  const root = path.resolve(dir);
  const steps = async (): Promise<number[]> => {
    let names: string[];
    try {
      names = await readdir(root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .map((n) => pattern.exec(n))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  };
  return {
    async save(c: Checkpoint) {
      const { json, tensors } = serializeCheckpoint(c);
      const final = path.join(root, `checkpoint-${c.step}`);
      const tmp = `${final}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      await writeFile(path.join(tmp, 'checkpoint.safetensors'), tensors);
      await writeFile(path.join(tmp, 'checkpoint.json'), json);
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      const all = await steps();
      for (const s of all.slice(0, Math.max(0, all.length - keep))) await rm(path.join(root, `checkpoint-${s}`), { recursive: true, force: true });
    },
    async loadLatest() {
      const last = (await steps()).at(-1);
      if (last === undefined) return undefined;
      const folder = path.join(root, `checkpoint-${last}`);
      const [json, bytes] = await Promise.all([
        readFile(path.join(folder, 'checkpoint.json'), 'utf8'),
        readFile(path.join(folder, 'checkpoint.safetensors')),
      ]);
      return deserializeCheckpoint({ json, tensors: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }, folder);
    },
  };
}
