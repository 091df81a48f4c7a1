/** Number, byte and duration formatting for the lab's UI (plain functions, unit-tested with the state classes). */

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '< 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number | undefined): string {
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

/** Metric values (0..1) with 3 decimals; deltas get an explicit sign. */
export function formatMetric(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3);
}

export function formatDelta(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(3);
  return v > 0 ? `+${s}` : v < 0 ? s : `±${s}`;
}

/** Human labels for the evaluator's metric keys (ndcg@10 → nDCG@10). */
export function metricLabel(key: string): string {
  const [name, k] = key.split('@');
  const names: Record<string, string> = { ndcg: 'nDCG', mrr: 'MRR', recall: 'Recall', map: 'MAP', precision: 'Precision' };
  return `${names[name!.toLowerCase()] ?? name}${k ? `@${k}` : ''}`;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return (e instanceof Error || (typeof e === 'object' && e !== null)) && (e as { name?: string }).name === 'AbortError';
}
