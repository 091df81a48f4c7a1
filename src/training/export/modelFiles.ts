/** A model folder as relative path -> contents (text files as strings). Written by src/cli/writeModelFiles.ts or zipped. */
export type ModelFiles = Map<string, Uint8Array | string>;

/**
 * Module folders named in modules.json that hold no files (sentence-transformers' 2_Normalize): they exist
 * as empty folders in what SentenceTransformer.save writes, so folder writers create them.
 */
export function emptyModuleDirs(files: ModelFiles): string[] {
  const modules = files.get('modules.json');
  if (modules === undefined) return [];
  const text = typeof modules === 'string' ? modules : new TextDecoder().decode(modules);
  let list: { path?: string }[];
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const paths = [...files.keys()];
  return list.map((m) => m.path ?? '').filter((p) => p !== '' && !paths.some((f) => f.startsWith(`${p}/`)));
}
