/** IndexedDB access shared by both workers: the lab database (opened once) and the cached Hub model source. */
import { cachedModelSource, openLabDb, type LabDb } from '../storage/index.ts';
import type { ModelSource } from '../training/source/modelSource.ts';
import { defaultHubEndpoint } from '../training/source/modelSource.ts';
import type { ModelSpec } from '../lab/api/labApi.ts';

let dbName = 'ftlab';
let db: Promise<LabDb> | undefined;

export function useDatabase(name: string): void {
  if (name !== dbName) db = undefined;
  dbName = name;
}

export function labDb(): Promise<LabDb> {
  db ??= openLabDb(dbName);
  return db;
}

/** Hub files are cached per (endpoint, revision), so a mirror never serves another endpoint's files. */
export async function cachedHub(inner: ModelSource, spec: Extract<ModelSpec, { kind: 'hub' }>): Promise<ModelSource> {
  const endpoint = (spec.endpoint ?? defaultHubEndpoint).replace(/\/+$/, '');
  const suffix = [endpoint !== defaultHubEndpoint && endpoint, spec.revision && spec.revision !== 'main' && spec.revision].filter(Boolean).join('@');
  try {
    return cachedModelSource(inner, await labDb(), { cacheId: suffix ? `${spec.id}@${suffix}` : spec.id });
  } catch {
    return inner; // no IndexedDB (private mode): download every time
  }
}
