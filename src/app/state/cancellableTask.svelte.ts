/**
 * The Data step's long loads (the corpus, the product images) share their life cycle: a new load aborts
 * the one running, shows `busy` and progress bars while it runs, and ends with an error message unless it
 * was stopped on purpose (Stop, or a newer load). Only the newest load clears `busy`, so an aborted one
 * finishing late cannot hide the running one.
 */
import { errorMessage, isAbort } from '../lib/format.ts';
import { ProgressBars } from './progressBars.svelte.ts';

export class CancellableTask {
  busy = $state(false);
  error = $state<string | null>(null);
  readonly progress = new ProgressBars();
  #controller: AbortController | null = null;

  /** Runs `body` as the current load; resolves with its result, or false when it failed or was stopped. */
  protected async runCancellable(body: (signal: AbortSignal) => Promise<boolean>): Promise<boolean> {
    this.#controller?.abort();
    const controller = (this.#controller = new AbortController());
    this.busy = true;
    this.error = null;
    this.progress.clear();
    try {
      return await body(controller.signal);
    } catch (e) {
      if (!isAbort(e)) this.error = errorMessage(e);
      return false;
    } finally {
      if (this.#controller === controller) this.#controller = null;
      this.busy = false;
    }
  }

  cancel(): void {
    this.#controller?.abort();
  }
}
