import { describe, it, expect, afterEach, vi } from 'vitest';
import { bridgeWorker, type WorkerBridge, type WorkerLike } from '../../src/app/bridge/workerBridge.ts';
import { exposeSession } from '../../src/workers/exposeSession.ts';

/** A session like the lab's: plain methods, optional progress callbacks, a trailing AbortSignal. */
class FakeSession {
  signals: AbortSignal[] = [];
  kept = new Uint8Array([1, 2, 3]);

  add(a: number, b: { times: number }): number {
    return (a + 1) * b.times;
  }

  async count(n: number, onProgress?: (done: number) => void): Promise<number> {
    for (let i = 1; i <= n; i++) onProgress?.(i);
    return n;
  }

  weights(): { weights: Uint8Array; step: number } {
    return { weights: this.kept, step: 7 };
  }

  /** stops when aborted, like a training loop between steps */
  wait(signal?: AbortSignal): Promise<string> {
    if (signal) this.signals.push(signal);
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
  }

  /** never settles, like a call stuck in a GPU kernel */
  hang(signal?: AbortSignal): Promise<string> {
    if (signal) this.signals.push(signal);
    return new Promise(() => {});
  }
}

const methods = ['init', 'add', 'count', 'weights', 'wait', 'hang'] as const;
type Api = Pick<FakeSession, Exclude<(typeof methods)[number], 'init'>> & { init(db: string): Promise<string> };

interface Harness {
  bridge: WorkerBridge<Api>;
  sessions: FakeSession[];
  inits: string[];
  setups: number;
  terminated: number;
  /** how many times a worker loaded its session (once, at its first session call) */
  loads: number;
}

/** A Worker stand-in: one MessageChannel, the session exposed on the far port as a worker entry would. */
function harness(graceMs = 50): Harness {
  const h: Harness = { sessions: [], inits: [], setups: 0, terminated: 0, loads: 0, bridge: undefined! };
  const ports: MessagePort[] = [];
  const create = (): WorkerLike => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const session = new FakeSession();
    h.sessions.push(session);
    exposeSession<Api, 'init'>(
      () => {
        h.loads++;
        return session;
      },
      methods,
      {
        own: {
          init: async (db: string) => {
            h.inits.push(db);
            return `ready ${db}`;
          },
        },
        transfer: ['weights'],
        endpoint: port2,
      },
    );
    return Object.assign(port1, {
      terminate() {
        h.terminated++;
        port1.close();
        port2.close();
      },
    });
  };
  h.bridge = bridgeWorker<Api>(create, methods, {
    graceMs,
    setup: async (w) => {
      h.setups++;
      await w.init(`db${h.setups}`);
    },
  });
  open.push(() => {
    h.bridge.terminate();
    for (const p of ports) p.close();
  });
  return h;
}

const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

describe('worker bridge', () => {
  it('passes arguments, returns results and runs setup once per worker', async () => {
    const h = harness();
    expect(h.bridge.running).toBe(false);
    const w = h.bridge.calls();
    expect(await w.add(2, { times: 5 })).toBe(15);
    expect(await w.init('again')).toBe('ready again');
    expect(h.bridge.running).toBe(true);
    expect(h.setups).toBe(1);
    expect(h.inits).toEqual(['db1', 'again']);
  });

  it("loads the worker's session at its first session call, once, not for its own methods", async () => {
    const h = harness();
    const w = h.bridge.calls();
    await w.init('only');
    expect(h.loads).toBe(0);
    await Promise.all([w.add(1, { times: 1 }), w.count(2)]);
    expect(await w.add(2, { times: 5 })).toBe(15);
    expect(h.loads).toBe(1);
  });

  it('rejects a call to a method the loaded session lacks, naming it', async () => {
    const { port1, port2 } = new MessageChannel();
    exposeSession<Api, 'init'>(() => ({}) as never, methods, { own: { init: async () => 'ready' }, endpoint: port2 });
    const bridge = bridgeWorker<Api>(() => Object.assign(port1, { terminate: () => port1.close() }), methods);
    await expect(bridge.calls().add(1, { times: 1 })).rejects.toThrow("exposeSession: no method 'add'");
    bridge.terminate();
    port2.close();
  });

  it('moves Uint8Array results of methods marked for transfer', async () => {
    const { bridge, sessions } = harness();
    const out = await bridge.calls().weights();
    expect(out.step).toBe(7);
    expect([...out.weights]).toEqual([1, 2, 3]);
    expect(sessions[0]!.kept.byteLength).toBe(0); // detached in the worker: moved, not copied
  });

  it('calls a progress callback across the boundary', async () => {
    const { bridge } = harness();
    const seen: number[] = [];
    expect(await bridge.calls().count(3, (d) => seen.push(d))).toBe(3);
    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3]));
  });

  it('aborts: the session sees its signal aborted and the call rejects with an AbortError', async () => {
    const h = harness(10_000);
    const ac = new AbortController();
    const call = h.bridge.calls().wait(ac.signal);
    await vi.waitFor(() => expect(h.sessions[0]!.signals).toHaveLength(1));
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(h.sessions[0]!.signals[0]!.aborted).toBe(true);
    expect(h.terminated).toBe(0);
    await expect(h.bridge.calls().wait(ac.signal)).rejects.toMatchObject({ name: 'AbortError' }); // already aborted: never sent
    expect(h.sessions[0]!.signals).toHaveLength(1);
  });

  it('terminates a worker whose aborted call does not settle within graceMs; the next call gets a fresh worker and setup', async () => {
    const h = harness(50);
    const w = h.bridge.calls();
    const ac = new AbortController();
    const call = w.hang(ac.signal);
    await vi.waitFor(() => expect(h.sessions[0]!.signals).toHaveLength(1));
    ac.abort();
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DOMException);
    expect(err).toMatchObject({ name: 'AbortError', message: expect.stringMatching(/did not stop within 0.05 s and was restarted/) });
    expect(h.sessions[0]!.signals[0]!.aborted).toBe(true);
    expect(h.terminated).toBe(1);
    expect(h.bridge.running).toBe(false);

    expect(await w.add(1, { times: 2 })).toBe(4);
    expect(h.sessions).toHaveLength(2);
    expect(h.setups).toBe(2);
    expect(h.inits).toEqual(['db1', 'db2']);
  });

  it('cancels methods that take no signal through calls(signal)', async () => {
    const h = harness(50);
    const ac = new AbortController();
    const call = h.bridge.calls(ac.signal).hang();
    await vi.waitFor(() => expect(h.sessions).toHaveLength(1));
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(h.terminated).toBe(1);
  });

  it('leaves the worker alone when a signal fires after its call settled', async () => {
    const h = harness(20);
    const ac = new AbortController();
    expect(await h.bridge.calls(ac.signal).add(0, { times: 1 })).toBe(1);
    ac.abort();
    await new Promise((r) => setTimeout(r, 60));
    expect(h.terminated).toBe(0);
    expect(h.bridge.running).toBe(true);
  });
});
