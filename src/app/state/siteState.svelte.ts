/**
 * The hosted site's state: online or not, the offline copy (service worker) installed, a new version
 * waiting, and cross-origin isolation — which a host without COOP/COEP headers only gets through the service
 * worker (src/serviceWorker/sw.ts), after one reload. That reload is automatic while nothing is lost by it
 * (no data loaded, no run); otherwise the page offers it.
 */

export interface SiteEnv {
  /** `crossOriginIsolated` of this page */
  isolated: boolean;
  /** navigator.onLine at start */
  online: boolean;
  /** whether a service worker controlled this page when it loaded */
  controlled: boolean;
  /** whether this browser has service workers at all (not in dev, where the dev server sends the headers) */
  serviceWorkers: boolean;
  reload(): void;
  /** remembers, for this tab, that an isolation reload was tried: a browser that cannot isolate never loops */
  session?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

export type IsolationStatus =
  | 'isolated'
  /** the host sends no headers and this browser has no service workers (or the dev server without them) */
  | 'no-service-worker'
  /** the service worker is installing the offline copy; threads come after it and a reload */
  | 'installing'
  /** the service worker is ready: a reload turns threads on (the user is in the middle of something) */
  | 'reload-offered'
  /** reloaded through the service worker and still not isolated: this browser does not support it */
  | 'unsupported';

const triedKey = 'ftlab-isolation-reload';

export class SiteState {
  online = $state(true);
  offlineReady = $state(false);
  needRefresh = $state(false);
  isolation = $state<IsolationStatus>('installing');
  readonly #env: SiteEnv;
  #update: ((reload?: boolean) => Promise<void>) | undefined;

  constructor(env: SiteEnv) {
    this.#env = env;
    this.online = env.online;
    if (env.isolated) {
      env.session?.removeItem(triedKey);
      this.isolation = 'isolated';
    } else if (!env.serviceWorkers) this.isolation = 'no-service-worker';
    // served by the service worker and still not isolated: one reload, then it is the browser; with no
    // session storage to remember that reload, only offer it (never a reload loop)
    else if (env.controlled) this.isolation = !env.session ? 'reload-offered' : this.#tried() ? 'unsupported' : this.#reloadNow();
  }

  #tried(): boolean {
    return this.#env.session?.getItem(triedKey) === '1';
  }

  #reloadNow(): IsolationStatus {
    this.#env.session?.setItem(triedKey, '1');
    this.#env.reload();
    return 'installing';
  }

  /** the service worker took control of this page (first visit: its offline copy is installed) */
  controlled(busy: boolean): void {
    this.offlineReady = true;
    if (this.isolation !== 'installing') return;
    if (this.#tried()) this.isolation = 'unsupported';
    else if (busy) this.isolation = 'reload-offered';
    else this.isolation = this.#reloadNow();
  }

  /** the reload the page offers (isolation, or a new version) */
  reload(): void {
    if (this.needRefresh && this.#update) void this.#update(true);
    else this.isolation = this.#reloadNow();
  }

  /** vite-plugin-pwa's updateSW: activates the waiting version and reloads */
  useUpdater(update: (reload?: boolean) => Promise<void>): void {
    this.#update = update;
  }

  /** why wasm runs with one thread, or undefined when nothing keeps threads off */
  threadsNote(): string | undefined {
    switch (this.isolation) {
      case 'isolated':
        return undefined;
      case 'no-service-worker':
        return 'one thread: the page is not cross-origin isolated (the host sends no COOP/COEP headers and this browser runs no service worker)';
      case 'installing':
        return 'one thread until the offline copy is installed and the page reloads (the host sends no COOP/COEP headers; the service worker adds them)';
      case 'reload-offered':
        return 'one thread: reload the page to turn threads on (the service worker now adds the isolation headers)';
      case 'unsupported':
        return 'one thread: this browser does not isolate a page through a service worker; host the lab with the headers of docs/deploy.md';
    }
  }
}
