/**
 * Lab settings that outlive a page: the Hugging Face Hub endpoint (a mirror, or a local fixture server in
 * tests via `?hub=`). The URL parameter wins over the saved value so a link can point the lab elsewhere.
 */
export const DEFAULT_HUB = 'https://huggingface.co';
const KEY = 'ftlab.hubEndpoint';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function normalizeEndpoint(raw: string): string {
  const t = raw.trim().replace(/\/+$/, '');
  if (!t) return DEFAULT_HUB;
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    throw new Error(`Hub endpoint "${raw}" is not a URL (expected e.g. ${DEFAULT_HUB})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Hub endpoint "${raw}" must start with http:// or https://`);
  return t;
}

/** The endpoint from `?hub=`, else the saved one, else huggingface.co. */
export function initialHubEndpoint(search: string, store?: KeyValueStore): string {
  const fromUrl = new URLSearchParams(search).get('hub');
  if (fromUrl) return normalizeEndpoint(fromUrl);
  const saved = store?.getItem(KEY);
  if (saved) {
    try {
      return normalizeEndpoint(saved);
    } catch {
      /* a broken saved value falls back to the default */
    }
  }
  return DEFAULT_HUB;
}

export function saveHubEndpoint(endpoint: string, store?: KeyValueStore): void {
  store?.setItem(KEY, endpoint);
}

const THREADS_KEY = 'ftlab.wasmThreads';

/** A thread count from the URL or the form: a whole number 1–64, or empty for "every core". */
export function parseThreads(raw: string | null | undefined): number | undefined {
  const t = (raw ?? '').trim();
  if (!t || t === 'auto') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`threads "${raw}" must be a whole number from 1 to 64, or empty for every core`);
  return n;
}

/** wasm threads from `?threads=`, else the saved count, else undefined (every logical core). */
export function initialThreads(search: string, store?: KeyValueStore): number | undefined {
  try {
    return parseThreads(new URLSearchParams(search).get('threads') ?? store?.getItem(THREADS_KEY));
  } catch {
    return undefined;
  }
}

export function saveThreads(threads: number | undefined, store?: KeyValueStore): void {
  store?.setItem(THREADS_KEY, threads === undefined ? '' : String(threads));
}
