import { ModelSourceError, type ModelSource } from './modelSource.ts';

/**
 * A model folder the user picked in the browser (`<input webkitdirectory>` or a drop): files are matched by
 * their path inside the picked folder, so `onnx/model.onnx` and `1_Pooling/config.json` resolve too.
 */
export function fileListSource(files: Iterable<File>, id?: string): ModelSource {
  const byPath = new Map<string, File>();
  let root: string | undefined;
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    // webkitRelativePath starts with the picked folder's own name: strip it so paths are model-relative
    if (parts.length > 1) root ??= parts[0];
    byPath.set(parts.length > 1 ? parts.slice(1).join('/') : rel, f);
  }
  const name = id ?? root ?? 'local folder';
  const get = (file: string) => {
    const f = byPath.get(file);
    if (!f) throw new ModelSourceError(`${name}: ${file} not found in the chosen folder`);
    return f;
  };
  return {
    id: name,
    async exists(file) {
      return byPath.has(file);
    },
    async readBytes(file, onProgress) {
      const f = get(file);
      const bytes = new Uint8Array(await f.arrayBuffer());
      onProgress?.(bytes.byteLength, bytes.byteLength);
      return bytes;
    },
    async readText(file) {
      return get(file).text();
    },
  };
}
