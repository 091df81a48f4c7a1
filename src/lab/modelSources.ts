/**
 * ModelSpec → ModelSource, environment-free: Hub ids through hubSource (any endpoint), a picked folder through
 * fileListSource, in-memory files (a "from scratch" model, a tuned model) through memoryFiles. The browser
 * wraps the result with its IndexedDB cache (src/storage/modelCache.ts) via `wrap`.
 */
import { hubSource, ModelSourceError, rememberConfigs, type ModelSource } from '../training/source/modelSource.ts';
import { fileListSource } from '../training/source/fileListSource.ts';
import type { ModelFiles } from '../training/export/modelFiles.ts';
import type { ModelSpec } from './api/labApi.ts';

import type { ResolvedModelSpec } from './api/workerMethods.ts';

export type { ResolvedModelSpec } from './api/workerMethods.ts';

export function memoryFiles(files: ModelFiles, id = 'memory'): ModelSource {
  const bytes = (f: string) => {
    const v = files.get(f);
    if (v === undefined) throw new ModelSourceError(`${id}: ${f} not found`);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  };
  return {
    id,
    exists: async (f) => files.has(f),
    async readBytes(f, onProgress) {
      const b = bytes(f);
      onProgress?.(b.byteLength, b.byteLength);
      return b;
    },
    readText: async (f) => new TextDecoder().decode(bytes(f)),
  };
}

/** `base` with some files replaced (a tuned model.safetensors over the base model's tokenizer and configs). */
export function overlaySource(base: ModelSource, files: ModelFiles, id = `${base.id} (tuned)`): ModelSource {
  const over = memoryFiles(files, id);
  return {
    id,
    exists: async (f) => files.has(f) || base.exists(f),
    readBytes: (f, p) => (files.has(f) ? over.readBytes(f, p) : base.readBytes(f, p)),
    readText: (f) => (files.has(f) ? over.readText(f) : base.readText(f)),
  };
}

export interface SourceOptions {
  /** wraps network sources (IndexedDB cache) */
  wrap?: (inner: ModelSource, spec: Extract<ModelSpec, { kind: 'hub' }>) => ModelSource | Promise<ModelSource>;
  fetch?: typeof fetch;
}

/** The spec's files, each config.json read once however often the family is asked about it. */
export async function modelSource(spec: ResolvedModelSpec, opts: SourceOptions = {}): Promise<ModelSource> {
  return rememberConfigs(await openSource(spec, opts));
}

async function openSource(spec: ResolvedModelSpec, opts: SourceOptions): Promise<ModelSource> {
  switch (spec.kind) {
    case 'hub': {
      const inner = hubSource(spec.id, { endpoint: spec.endpoint, revision: spec.revision, fetch: opts.fetch });
      return opts.wrap ? opts.wrap(inner, spec) : inner;
    }
    case 'files':
      if (!spec.files.length) throw new ModelSourceError('the chosen folder is empty');
      return fileListSource(spec.files, spec.id);
    case 'memory':
      return memoryFiles(spec.files, spec.id);
  }
}
