/**
 * Collects concurrent single-text requests into one model call: a batch runs when `maxBatch` texts are
 * waiting or `maxWaitMs` after the first one arrived, and only one batch runs at a time, so requests
 * that arrive during a run are all taken by the next one. Under load this turns N requests into far
 * fewer ONNX runs; a lone request waits at most maxWaitMs.
 */

export interface BatchStats {
  requests: number;
  /** model calls made */
  batches: number;
  largestBatch: number;
  failedBatches: number;
}

interface Pending<T> {
  input: string;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  readonly stats: BatchStats = { requests: 0, batches: 0, largestBatch: 0, failedBatches: 0 };

  constructor(
    private readonly run: (inputs: string[]) => Promise<T[]>,
    private readonly opts: { maxBatch: number; maxWaitMs: number },
  ) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
    if (!(opts.maxWaitMs >= 0)) throw new Error(`maxWaitMs must be >= 0, got ${opts.maxWaitMs}`);
  }

  submit(input: string): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    this.stats.requests++;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** pending + running work */
  get pending(): number {
    return this.queue.length;
  }

  private schedule() {
    if (this.running) return; // the running batch picks the queue up when it ends
    if (this.queue.length >= this.opts.maxBatch) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.maxWaitMs);
    }
  }

  private flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || !this.queue.length) return;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.stats.batches++;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    this.running = (async () => {
      try {
        const out = await this.run(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(out[i]!));
      } catch (e) {
        this.stats.failedBatches++;
        for (const p of batch) p.reject(e);
      }
    })().finally(() => {
      this.running = undefined;
      // whatever queued up meanwhile has waited long enough: run it now
      if (this.queue.length) this.flush();
    });
  }

  /** Stops taking work and waits for everything queued so far. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length) {
      if (!this.running) this.flush();
      await this.running;
    }
  }
}
