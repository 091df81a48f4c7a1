/** How much the lab stores, how much the browser allows, and whether the data survives storage pressure. */
import { formatBytes } from './errors.ts';

export interface StorageStatus {
  /** false where navigator.storage is missing (old browsers, some private modes) */
  supported: boolean;
  /** bytes used by this origin */
  usage?: number;
  /** bytes this origin may use */
  quota?: number;
  /** quota − usage */
  available?: number;
  /** true when the browser promised not to evict the data under storage pressure */
  persisted?: boolean;
  /** one line for the UI, e.g. "120 MB of 2.1 GB used (6%), persistent" */
  summary: string;
}

type StorageManagerLike = Pick<StorageManager, 'estimate'> & Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

const manager = (m?: StorageManagerLike): StorageManagerLike | undefined =>
  m ?? (typeof navigator !== 'undefined' ? (navigator.storage as StorageManagerLike | undefined) : undefined);

export async function storageStatus(m?: StorageManagerLike): Promise<StorageStatus> {
  const sm = manager(m);
  if (!sm?.estimate) return { supported: false, summary: 'This browser does not report storage use' };
  const { usage, quota } = await sm.estimate();
  const persisted = sm.persisted ? await sm.persisted().catch(() => undefined) : undefined;
  const available = usage !== undefined && quota !== undefined ? Math.max(0, quota - usage) : undefined;
  const pct = usage !== undefined && quota ? ` (${Math.round((100 * usage) / quota)}%)` : '';
  const kept = persisted === true ? ', persistent' : persisted === false ? ', may be evicted under storage pressure' : '';
  return {
    supported: true,
    usage,
    quota,
    available,
    persisted,
    summary: `${formatBytes(usage)} of ${formatBytes(quota)} used${pct}${kept}`,
  };
}

/**
 * Asks the browser to keep the lab's data under storage pressure. Returns whether it is persisted now;
 * undefined where the API is missing. Browsers may grant it silently, ask the user, or refuse.
 */
export async function requestPersistence(m?: StorageManagerLike): Promise<boolean | undefined> {
  const sm = manager(m);
  if (!sm?.persist) return undefined;
  if (sm.persisted && (await sm.persisted().catch(() => false))) return true;
  return sm.persist().catch(() => false);
}

/** Undefined when there is room (or nothing is known), otherwise the reason to show before a big write. */
export function roomFor(status: StorageStatus, bytes: number, what: string): string | undefined {
  if (status.available === undefined || bytes <= status.available) return undefined;
  return `Not enough browser storage for ${what}: it needs about ${formatBytes(bytes)}, ${formatBytes(status.available)} is free. Delete old runs, datasets or cached models first.`;
}
