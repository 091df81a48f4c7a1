/** Errors the storage layer throws with messages meant for the user. */

/** The browser refused to store more data (quota exceeded). Nothing was half-written. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  /** what was being saved, e.g. 'checkpoint of run "x" at step 40' */
  readonly what: string;
  constructor(what: string, detail: string, options?: { cause?: unknown }) {
    super(`Browser storage is full: could not save the ${what}. ${detail}`.trim(), options);
    this.what = what;
  }
}

/** Another tab (or another call in this tab) is training this run. */
export class RunLockedError extends Error {
  override name = 'RunLockedError';
  constructor(readonly runId: string) {
    super(`Run ${runId} is being trained in another tab or window; stop it there (or close that tab) before resuming it here`);
  }
}

/** A model file is needed, is not in the offline cache, and its source cannot be reached. */
export class ModelNotCachedError extends Error {
  override name = 'ModelNotCachedError';
  constructor(
    readonly modelId: string,
    readonly file: string,
    cause: unknown,
  ) {
    super(
      `${modelId}/${file} is not in the offline model cache and cannot be downloaded now ` +
        `(${(cause as Error)?.message ?? String(cause)}). Connect to the network once to download the model ` +
        `(it is then kept for offline use), or load the model from a local folder.`,
      { cause },
    );
  }
}

/** True for the errors browsers use when a write exceeds the origin's quota. */
export function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as { name?: string; code?: number; message?: string; inner?: unknown };
  if (err.name === 'QuotaExceededError' || err.code === 22) return true;
  // Firefox reports some quota failures as UnknownError/AbortError with the reason in the message
  return typeof err.message === 'string' && /quota|disk.*full|storage.*full/i.test(err.message);
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return 'unknown size';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
