import { describe, expect, it, vi } from 'vitest';
import { SiteState, type SiteEnv } from '../../src/app/state/siteState.svelte.ts';

/** a tab's sessionStorage, which survives the reload SiteState asks for */
function memorySession(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (k) => values.get(k) ?? null,
    setItem: (k, v) => void values.set(k, v),
    removeItem: (k) => void values.delete(k),
  };
}

function env(over: Partial<SiteEnv> = {}): SiteEnv & { reload: ReturnType<typeof vi.fn> } {
  return { isolated: false, online: true, controlled: false, serviceWorkers: true, reload: vi.fn(), session: memorySession(), ...over } as SiteEnv & {
    reload: ReturnType<typeof vi.fn>;
  };
}

describe('SiteState: the reload into cross-origin isolation', () => {
  it('a host with the headers: isolated from the start, no reload, no threads note, and a stale attempt is forgotten', () => {
    const e = env({ isolated: true, controlled: true });
    e.session!.setItem('ftlab-isolation-reload', '1');
    const site = new SiteState(e);
    expect(site.isolation).toBe('isolated');
    expect(site.threadsNote()).toBeUndefined();
    expect(e.reload).not.toHaveBeenCalled();
    expect(e.session!.getItem('ftlab-isolation-reload')).toBeNull();
  });

  it('first visit: waits for the service worker, then reloads once when it takes control and nothing is lost', () => {
    const e = env();
    const site = new SiteState(e);
    expect(site.isolation).toBe('installing');
    expect(site.threadsNote()).toMatch(/until the offline copy is installed/);
    expect(e.reload).not.toHaveBeenCalled();
    site.controlled(false);
    expect(site.offlineReady).toBe(true);
    expect(e.reload).toHaveBeenCalledTimes(1);
    // the reloaded page comes back isolated: the attempt marker is cleared for later visits
    const after = new SiteState({ ...e, isolated: true, controlled: true });
    expect(after.isolation).toBe('isolated');
    expect(e.session!.getItem('ftlab-isolation-reload')).toBeNull();
  });

  it('a run or loaded data at takeover: offers the reload instead of taking it, and takes it when asked', () => {
    const e = env();
    const site = new SiteState(e);
    site.controlled(true);
    expect(site.isolation).toBe('reload-offered');
    expect(site.threadsNote()).toMatch(/reload the page to turn threads on/);
    expect(e.reload).not.toHaveBeenCalled();
    site.reload();
    expect(e.reload).toHaveBeenCalledTimes(1);
  });

  it('controlled but not isolated on load: reloads once, and a second time means the browser cannot — no loop', () => {
    const e = env({ controlled: true });
    expect(new SiteState(e).isolation).toBe('installing');
    expect(e.reload).toHaveBeenCalledTimes(1);
    const again = new SiteState(e);
    expect(again.isolation).toBe('unsupported');
    expect(again.threadsNote()).toMatch(/docs\/deploy\.md/);
    expect(e.reload).toHaveBeenCalledTimes(1);
    again.controlled(false);
    expect(e.reload).toHaveBeenCalledTimes(1);
  });

  it('no service workers (or no session storage to remember the attempt): never reloads on its own', () => {
    const none = env({ serviceWorkers: false });
    const site = new SiteState(none);
    expect(site.isolation).toBe('no-service-worker');
    expect(site.threadsNote()).toMatch(/runs no service worker/);
    expect(none.reload).not.toHaveBeenCalled();
    const forgetful = env({ controlled: true, session: undefined });
    expect(new SiteState(forgetful).isolation).toBe('reload-offered');
    expect(new SiteState(forgetful).isolation).toBe('reload-offered');
    expect(forgetful.reload).not.toHaveBeenCalled();
  });

  it('takes a controllerchange after isolation without reloading, and keeps online in step', () => {
    const e = env({ isolated: true, online: false });
    const site = new SiteState(e);
    expect(site.online).toBe(false);
    site.controlled(false);
    expect(site.isolation).toBe('isolated');
    expect(site.offlineReady).toBe(true);
    expect(e.reload).not.toHaveBeenCalled();
  });

  it('a waiting new version: the offered reload activates it through the updater instead of a plain reload', async () => {
    const e = env({ isolated: true });
    const site = new SiteState(e);
    const update = vi.fn(async () => {});
    site.useUpdater(update);
    site.needRefresh = true;
    site.reload();
    expect(update).toHaveBeenCalledWith(true);
    expect(e.reload).not.toHaveBeenCalled();
  });
});
