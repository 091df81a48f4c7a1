import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelSourceError, hubSource, type ModelSource } from '../training/source/modelSource.ts';

/** A model folder on disk. */
export function folderSource(dir: string): ModelSource {
  const root = path.resolve(dir);
  return {
    id: root,
    async exists(file) {
      try {
        return (await stat(path.join(root, file))).isFile();
      } catch {
        return false;
      }
    },
    async readBytes(file) {
      try {
        const buf = await readFile(path.join(root, file));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        throw new ModelSourceError(
          `${path.join(root, file)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`,
        );
      }
    },
    async readText(file) {
      return new TextDecoder().decode(await this.readBytes(file));
    },
  };
}

/** `--model` accepts a folder path or a Hub id; a path that exists wins. FTLAB_HUB_ENDPOINT sets the mirror. */
export async function resolveModelSource(spec: string): Promise<ModelSource> {
  try {
    if ((await stat(spec)).isDirectory()) return folderSource(spec);
  } catch {
    /* not a local path: try the Hub */
  }
  if (spec.startsWith('.') || spec.startsWith('/') || spec.split('/').length > 2) {
    throw new ModelSourceError(`model folder ${spec} does not exist`);
  }
  return hubSource(spec, { endpoint: process.env.FTLAB_HUB_ENDPOINT ?? process.env.HF_ENDPOINT });
}
