/**
 * Where model files come from: the Hugging Face Hub (or a mirror), a URL prefix, a local folder (Node:
 * src/cli/folderSource.ts; browser: File handles). Loaders only see this interface.
 */
export interface ModelSource {
  /** human-readable id (hub id, path or URL), used in messages and model cards */
  readonly id: string;
  exists(file: string): Promise<boolean>;
  readBytes(file: string, onProgress?: (loaded: number, total?: number) => void): Promise<Uint8Array>;
  readText(file: string): Promise<string>;
}

export class ModelSourceError extends Error {
  override name = 'ModelSourceError';
}

export async function readJson<T = Record<string, unknown>>(source: ModelSource, file: string): Promise<T> {
  const text = await source.readText(file);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelSourceError(`${source.id}/${file}: invalid JSON (${(e as Error).message})`);
  }
}

/** Reads an optional JSON file: undefined when absent. */
export async function readJsonIfExists<T = Record<string, unknown>>(source: ModelSource, file: string): Promise<T | undefined> {
  return (await source.exists(file)) ? readJson<T>(source, file) : undefined;
}

/**
 * `source` with its small *config.json files read once: a family is picked, inspected and loaded from the
 * same config.json, which is a network or IndexedDB read each time otherwise. Large files (tokenizer.json,
 * weights) are not kept.
 */
export function rememberConfigs(source: ModelSource): ModelSource {
  const texts = new Map<string, Promise<string>>();
  return {
    id: source.id,
    exists: (file) => source.exists(file),
    readBytes: (file, onProgress) => source.readBytes(file, onProgress),
    readText(file) {
      if (!file.endsWith('config.json')) return source.readText(file);
      let p = texts.get(file);
      if (!p) {
        p = source.readText(file);
        texts.set(file, p);
        p.catch(() => texts.delete(file));
      }
      return p;
    },
  };
}

export const defaultHubEndpoint = 'https://huggingface.co';

export interface UrlSourceOptions {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** Files under a URL prefix: `${base}/${file}`. */
export function urlSource(base: string, id = base, opts: UrlSourceOptions = {}): ModelSource {
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const prefix = base.replace(/\/+$/, '');
  const cache = new Map<string, boolean>();
  const get = async (file: string, method: 'GET' | 'HEAD') => {
    const url = `${prefix}/${file}`;
    let res: Response;
    try {
      res = await doFetch(url, { method, headers: opts.headers });
    } catch (e) {
      throw new ModelSourceError(`cannot reach ${url} (${(e as Error).message}); check the network or load the model from a local folder`);
    }
    return { res, url };
  };
  return {
    id,
    async exists(file) {
      if (!cache.has(file)) {
        const { res } = await get(file, 'HEAD');
        cache.set(file, res.ok);
      }
      return cache.get(file)!;
    },
    async readBytes(file, onProgress) {
      const { res, url } = await get(file, 'GET');
      if (!res.ok) throw new ModelSourceError(`${id}: ${file} not found (HTTP ${res.status} from ${url})`);
      const total = Number(res.headers.get('content-length')) || undefined;
      if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onProgress(loaded, total);
      }
      const out = new Uint8Array(loaded);
      let p = 0;
      for (const c of chunks) {
        out.set(c, p);
        p += c.byteLength;
      }
      return out;
    },
    async readText(file) {
      return new TextDecoder().decode(await this.readBytes(file));
    },
  };
}

export interface HubSourceOptions extends UrlSourceOptions {
  endpoint?: string;
  revision?: string;
}

/** A Hub model id resolved as `${endpoint}/${id}/resolve/${revision}/${file}`. */
export function hubSource(modelId: string, opts: HubSourceOptions = {}): ModelSource {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(modelId)) throw new ModelSourceError(`"${modelId}" is not a Hub model id (expected owner/name)`);
  const endpoint = (opts.endpoint ?? defaultHubEndpoint).replace(/\/+$/, '');
  return urlSource(`${endpoint}/${modelId}/resolve/${opts.revision ?? 'main'}`, modelId, opts);
}
