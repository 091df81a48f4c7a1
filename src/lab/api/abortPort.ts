/**
 * AbortSignals across the worker boundary. A signal cannot be cloned, so each cancellable call gets its own
 * MessageChannel: the client keeps one port and posts to it when its signal fires; the worker turns the
 * other (transferred) port back into an AbortSignal.
 */
import * as Comlink from 'comlink';

/** Client side: a transferable port that fires when `signal` does (undefined when there is no signal). */
export function signalPort(signal?: AbortSignal): { port?: MessagePort; release(): void } {
  if (!signal) return { release() {} };
  const ch = new MessageChannel();
  const fire = () => ch.port1.postMessage(String((signal.reason as Error)?.message ?? signal.reason ?? 'aborted'));
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
  return {
    port: Comlink.transfer(ch.port2, [ch.port2]),
    release() {
      signal.removeEventListener('abort', fire);
      ch.port1.close();
    },
  };
}

/** Worker side: the AbortSignal of a port from signalPort. */
export function portSignal(port?: MessagePort): AbortSignal | undefined {
  if (!port) return undefined;
  const c = new AbortController();
  port.onmessage = (e) => {
    c.abort(new DOMException(String(e.data), 'AbortError'));
    port.close();
  };
  return c.signal;
}
