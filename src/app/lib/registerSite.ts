/**
 * Starts the site's service worker (vite-plugin-pwa's registration) and feeds its events to SiteState:
 * the offline copy installed, the page taken over (isolation can begin), a new version waiting.
 * In dev there is no service worker (the dev server sends the isolation headers itself).
 */
import { registerSW } from 'virtual:pwa-register';
import { SiteState } from '../state/siteState.svelte.ts';

export function startSite(busy: () => boolean): SiteState {
  const sw = typeof navigator !== 'undefined' && 'serviceWorker' in navigator && import.meta.env.PROD ? navigator.serviceWorker : undefined;
  const session = (() => {
    try {
      return window.sessionStorage;
    } catch {
      return undefined;
    }
  })();
  const site = new SiteState({
    isolated: globalThis.crossOriginIsolated === true,
    online: navigator.onLine,
    controlled: !!sw?.controller,
    serviceWorkers: !!sw,
    reload: () => location.reload(),
    ...(session && { session }),
  });
  addEventListener('online', () => (site.online = true));
  addEventListener('offline', () => (site.online = false));
  if (!sw) return site;
  sw.addEventListener('controllerchange', () => site.controlled(busy()));
  const update = registerSW({
    immediate: true,
    onNeedRefresh: () => (site.needRefresh = true),
    onOfflineReady: () => (site.offlineReady = true),
    // active but not in control (a hard reload bypasses it): a plain reload goes through it
    onRegisteredSW: (_url, registration) => {
      if (registration?.active && !sw.controller) site.controlled(busy());
      else if (registration?.active) site.offlineReady = true;
    },
    onRegisterError: (e: unknown) => console.warn(`the offline copy could not be installed: ${String(e)}`),
  });
  site.useUpdater(update);
  return site;
}
