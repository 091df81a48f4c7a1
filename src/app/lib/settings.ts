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
