/**
 * The client half of the worker bridge (the worker half: src/workers/exposeSession.ts). One call path for
 * every method named in src/lab/api/workerMethods.ts: the worker is created on the first call and brought
 * to the client's state by `setup` (once per fresh worker); AbortSignal arguments cross as MessagePorts,
 * callbacks as Comlink proxies.
 *
 * An aborted call that has not settled `graceMs` later gets its worker terminated (a call stuck in a GPU
 * kernel or a blocking loop cannot be interrupted otherwise) and rejects with an AbortError; the next call
 * starts a fresh worker, so a hung call costs time, not state.
 */
import * as Comlink from 'comlink';
import { signalPort } from '../../lab/api/abortPort.ts';

/** What the bridge needs of a Worker (tests pass a fake over a MessageChannel). */
export type WorkerLike = Comlink.Endpoint & { terminate(): void };

/** A worker API as the client calls it: the session's parameters, every result a promise. */
export type Bridged<Api> = {
  [K in keyof Api]: Api[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export interface BridgeOptions<Api> {
  /** brings a fresh worker to the client's state before its first call; when it fails the worker is terminated */
  setup?: (worker: Bridged<Api>) => Promise<unknown>;
  /** how long an aborted call may take to settle before its worker is terminated; default 15 s */
  graceMs?: number | ((method: keyof Api & string) => number);
}

export interface WorkerBridge<Api> {
  /**
   * The worker's methods. `signal` cancels calls to methods that take none (the worker is terminated
   * after the grace period); a signal among the arguments does the same and also reaches the session.
   */
  calls(signal?: AbortSignal): Bridged<Api>;
  /** whether a worker exists (created, not terminated) */
  readonly running: boolean;
  /** terminates the worker; the next call creates a fresh one and runs setup again */
  terminate(): void;
}

type Remote = Record<string, (...args: unknown[]) => Promise<unknown>>;
interface Live {
  worker: WorkerLike;
  remote: Comlink.Remote<Remote>;
  ready: Promise<Remote>;
}

/** Sends one call: signals as ports, callbacks as proxies; the ports are closed once it settles. */
async function send(remote: Remote, method: string, args: unknown[]): Promise<unknown> {
  const ports: ReturnType<typeof signalPort>[] = [];
  const wire = args.map((a) => {
    if (!(a instanceof AbortSignal)) return typeof a === 'function' ? Comlink.proxy(a) : a;
    const sp = signalPort(a);
    ports.push(sp);
    return sp.port;
  });
  try {
    return await remote[method]!(...wire);
  } finally {
    for (const p of ports) p.release();
  }
}

export function bridgeWorker<Api>(
  create: () => WorkerLike,
  methods: readonly (keyof Api & string)[],
  opts: BridgeOptions<Api> = {},
): WorkerBridge<Api> {
  let live: Live | undefined;
  const graceOf = (method: keyof Api & string) => (typeof opts.graceMs === 'function' ? opts.graceMs(method) : (opts.graceMs ?? 15_000));
  const generate = (call: (method: keyof Api & string, args: unknown[]) => Promise<unknown>) =>
    Object.fromEntries(methods.map((m) => [m, (...args: unknown[]) => call(m, args)])) as Bridged<Api>;

  const stop = (which: Live | undefined = live) => {
    if (!which || which !== live) return;
    which.remote[Comlink.releaseProxy]();
    which.worker.terminate();
    live = undefined;
  };

  const start = (): Live => {
    const worker = create();
    const remote = Comlink.wrap<Remote>(worker);
    const direct = remote as unknown as Remote;
    const ready = (async () => {
      await opts.setup?.(generate((m, args) => send(direct, m, args)));
      return direct;
    })();
    const started: Live = { worker, remote, ready };
    ready.catch(() => stop(started));
    return started;
  };

  const call = async (method: keyof Api & string, args: unknown[], extra?: AbortSignal): Promise<unknown> => {
    const signal = extra ?? args.find((a): a is AbortSignal => a instanceof AbortSignal);
    signal?.throwIfAborted();
    const used = (live ??= start());
    const remote = await used.ready;
    if (!signal) return send(remote, method, args);
    const graceMs = graceOf(method);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = () => {};
    const hung = new Promise<never>((_, reject) => {
      onAbort = () => {
        timer = setTimeout(() => {
          stop(used);
          reject(new DOMException(`cancelled; the worker did not stop within ${graceMs / 1000} s and was restarted`, 'AbortError'));
        }, graceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([send(remote, method, args), hung]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };

  const plain = generate((m, args) => call(m, args));
  return {
    calls: (signal) => (signal ? generate((m, args) => call(m, args, signal)) : plain),
    get running() {
      return live !== undefined;
    },
    terminate: () => stop(),
  };
}
