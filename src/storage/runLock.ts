/**
 * One Web Lock per run (navigator.locks, shared by every tab and worker of the origin), so two tabs never
 * train the same run. Where the Web Locks API is missing, an in-page lock still stops double starts here.
 */
import { RunLockedError } from './errors.ts';

export const RUN_LOCK_PREFIX = 'ftlab-run:';

/** The subset of LockManager used here (tests pass a fake). */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean; mode?: 'exclusive' | 'shared'; signal?: AbortSignal },
    callback: (lock: { name: string } | null) => Promise<T> | T,
  ): Promise<T>;
  query?(): Promise<{ held?: { name?: string }[]; pending?: { name?: string }[] }>;
}

const localHeld = new Set<string>();

const lockManager = (m?: LockManagerLike): LockManagerLike | undefined =>
  m ?? (typeof navigator !== 'undefined' ? (navigator.locks as unknown as LockManagerLike | undefined) : undefined);

export interface RunLockOptions {
  /** default navigator.locks */
  locks?: LockManagerLike;
}

/**
 * Runs `fn` while holding the run's lock, released when `fn` settles (or the tab closes). Throws
 * RunLockedError at once, without waiting, when another tab or call holds it.
 */
export async function withRunLock<T>(runId: string, fn: () => Promise<T>, opts: RunLockOptions = {}): Promise<T> {
  const name = RUN_LOCK_PREFIX + runId;
  const locks = lockManager(opts.locks);
  if (!locks) {
    if (localHeld.has(name)) throw new RunLockedError(runId);
    localHeld.add(name);
    try {
      return await fn();
    } finally {
      localHeld.delete(name);
    }
  }
  let acquired = false;
  const result = await locks.request(name, { ifAvailable: true, mode: 'exclusive' }, async (lock) => {
    if (!lock) return undefined;
    acquired = true;
    return { value: await fn() };
  });
  if (!acquired || !result) throw new RunLockedError(runId);
  return result.value;
}

/** Ids of runs whose lock some tab of this origin holds now (for the run list and crash recovery). */
export async function heldRunLocks(opts: RunLockOptions = {}): Promise<Set<string>> {
  const locks = lockManager(opts.locks);
  const ids = new Set<string>();
  for (const n of localHeld) ids.add(n.slice(RUN_LOCK_PREFIX.length));
  if (locks?.query) {
    const snapshot = await locks.query();
    for (const l of snapshot.held ?? []) {
      if (l.name?.startsWith(RUN_LOCK_PREFIX)) ids.add(l.name.slice(RUN_LOCK_PREFIX.length));
    }
  }
  return ids;
}

export async function isRunLocked(runId: string, opts: RunLockOptions = {}): Promise<boolean> {
  return (await heldRunLocks(opts)).has(runId);
}
