/**
 * What the service worker does to a response, kept free of service-worker globals so Node tests run it:
 * the isolation headers a static host could not set (the coi-serviceworker technique), and which requests
 * it serves at all.
 */

/** COOP + COEP as the dev server and the host snippets in docs/deploy.md send them: threaded WASM needs both. */
export const isolationHeaders: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // credentialless, not require-corp: cross-origin product images (no CORP header) still load, without cookies
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

/** MIME types some hosts get wrong; a wasm served as octet-stream cannot be compiled while it streams. */
const mimeTypes: Readonly<Record<string, string>> = {
  wasm: 'application/wasm',
  mjs: 'text/javascript',
  js: 'text/javascript',
  webmanifest: 'application/manifest+json',
};

/**
 * The response with the isolation headers (and the right Content-Type for .wasm/.mjs). An opaque response
 * (status 0) cannot be re-made and is returned as it is; so is one that already has both headers.
 */
export function withIsolation(response: Response, url: string): Response {
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  const has = Object.entries(isolationHeaders).every(([k, v]) => headers.get(k) === v);
  const ext = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
  const mime = mimeTypes[ext];
  const fixMime = mime !== undefined && !(headers.get('Content-Type') ?? '').startsWith(mime);
  if (has && !fixMime) return response;
  for (const [k, v] of Object.entries(isolationHeaders)) headers.set(k, v);
  if (fixMime) headers.set('Content-Type', mime);
  // a 1xx/204/304 status cannot carry a body; Response() refuses a body with those
  const body = [101, 204, 205, 304].includes(response.status) ? null : response.body;
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

export type RequestKind = 'shell' | 'asset' | 'pass';

/**
 * How the worker treats a request: `shell` (a page navigation inside its scope: the precached index.html),
 * `asset` (a same-origin GET inside its scope: precache, then network, then the runtime cache), `pass`
 * (anything else: cross-origin model downloads and product images, non-GET requests) — not touched.
 */
export function requestKind(req: { url: string; method: string; mode: string }, scope: string): RequestKind {
  if (req.method !== 'GET' || !req.url.startsWith(scope)) return 'pass';
  if (req.mode !== 'navigate') return 'asset';
  const path = new URL(req.url).pathname;
  const scopePath = new URL(scope).pathname;
  // the app is one page: its folder and index.html, whatever the query (?preset=…) or fragment (#config=…)
  return path === scopePath || path === `${scopePath}index.html` ? 'shell' : 'asset';
}

/** Files too large to precache for every visitor: onnxruntime-web's WebGPU build (~27 MB) is cached once used. */
export const runtimeCachedPattern = /asyncify/;
