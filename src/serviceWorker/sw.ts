/// <reference lib="webworker" />
/**
 * The lab's service worker (built by vite-plugin-pwa's injectManifest from this file):
 * - offline after one visit: Workbox precaches the build (app shell, worker chunks, WASM binaries, the bundled
 *   catalogue); onnxruntime-web's WebGPU build is cached the first time it is fetched;
 * - cross-origin isolation on hosts that cannot set headers: every response it serves carries COOP/COEP, so
 *   after one reload `crossOriginIsolated` is true and WASM runs threaded (src/app/lib/siteState.ts reloads);
 * - updates: a new version waits until the page asks it to take over (the page's update prompt).
 * Hub downloads and product images are cross-origin: they pass untouched (models are cached in IndexedDB).
 */
import { cleanupOutdatedCaches, matchPrecache, precache } from 'workbox-precaching';
import { requestKind, runtimeCachedPattern, withIsolation } from './isolatedResponse.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Parameters<typeof precache>[0] };

const runtimeCache = 'ftlab-runtime';

precache(self.__WB_MANIFEST);
cleanupOutdatedCaches();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
// the first version takes the open page at once, so the page can reload into isolation
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function fromNetwork(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok && runtimeCachedPattern.test(request.url)) await (await caches.open(runtimeCache)).put(request, response.clone());
    return response;
  } catch (e) {
    const cached = await caches.match(request, { cacheName: runtimeCache });
    if (cached) return cached;
    throw e;
  }
}

async function serve(request: Request, kind: 'shell' | 'asset'): Promise<Response> {
  const precached = await matchPrecache(kind === 'shell' ? new URL('index.html', self.registration.scope).href : request.url);
  return withIsolation(precached ?? (await fromNetwork(request)), request.url);
}

self.addEventListener('fetch', (event) => {
  const kind = requestKind(event.request, self.registration.scope);
  if (kind !== 'pass') event.respondWith(serve(event.request, kind));
});
