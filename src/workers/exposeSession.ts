/**
 * The worker half of the bridge (src/app/bridge/workerBridge.ts): serves a session's methods, named in
 * src/lab/api/workerMethods.ts, over Comlink. An AbortSignal cannot be cloned, so the client sends each
 * one as a MessagePort (src/lab/api/abortPort.ts); here every MessagePort argument becomes that
 * AbortSignal again, so the session sees the signature it declares.
 */
import * as Comlink from 'comlink';
import { portSignal } from '../lab/api/abortPort.ts';

type Call = (...args: unknown[]) => unknown;

/** What serves a worker API: the same parameters; a result may come back directly or as a promise. */
export type Served<Api> = {
  [K in keyof Api]: Api[K] extends (...args: infer A) => infer R ? (...args: A) => R | Awaited<R> : never;
};

export interface ExposeOptions<Api, Own extends keyof Api> {
  /** methods the worker serves itself instead of the session (e.g. init) */
  own?: Served<Pick<Api, Own>>;
  /** awaited before every session method (not before `own` ones), e.g. the tfjs backend being ready */
  before?: (method: keyof Api & string) => unknown;
  /**
   * methods whose result's Uint8Arrays (the result itself or its fields) move to the client instead of
   * being copied: results the worker keeps no reference to (tuned weights, a zip)
   */
  transfer?: readonly (keyof Api & string)[];
  /** where to serve; default the worker's global scope */
  endpoint?: Comlink.Endpoint;
}

/** The buffers of a result's Uint8Arrays, each once (a transfer list with duplicates is refused). */
function buffersOf(value: unknown): Transferable[] {
  const parts = value instanceof Uint8Array ? [value] : value && typeof value === 'object' ? Object.values(value) : [];
  const buffers = parts.filter((v): v is Uint8Array => v instanceof Uint8Array).map((v) => v.buffer);
  return [...new Set(buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
}

/**
 * Serves `methods` of `Api` (a list from src/lab/api/workerMethods.ts): the `Own` ones from `opts.own`,
 * the rest from the session `load` gives, which must have them with the API's signatures. `load` runs at the
 * first session call (once), so a worker can start with its own methods before the session's code arrives.
 */
export function exposeSession<Api, Own extends keyof Api & string = never>(
  load: () => Served<Omit<Api, Own>> | Promise<Served<Omit<Api, Own>>>,
  methods: readonly (keyof Api & string)[],
  opts: ExposeOptions<Api, Own> = {},
): void {
  let loaded: Promise<Record<string, unknown>> | undefined;
  const session = () => (loaded ??= Promise.resolve(load()).then((s) => s as Record<string, unknown>));
  const api: Record<string, Call> = {};
  for (const name of methods) {
    const own = (opts.own as Record<string, Call> | undefined)?.[name];
    api[name] = async (...args: unknown[]) => {
      if (!own) await opts.before?.(name);
      const target = own ? (opts.own as Record<string, unknown>) : await session();
      const fn = own ?? (target[name] as Call | undefined);
      if (typeof fn !== 'function') throw new Error(`exposeSession: no method '${name}'`);
      const result = await fn.apply(
        target,
        args.map((a) => (a instanceof MessagePort ? portSignal(a) : a)),
      );
      return opts.transfer?.includes(name) ? Comlink.transfer(result, buffersOf(result)) : result;
    };
  }
  Comlink.expose(api, opts.endpoint);
}
