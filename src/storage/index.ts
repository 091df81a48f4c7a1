/**
 * The lab's browser storage (IndexedDB via idb), one import for workers and UI state classes:
 *
 *   const db = await openLabDb();
 *   const source = cachedModelSource(hubSource(id, { endpoint }), db);      // download once, offline later
 *   const run = await createRun(db, { name, config: request });
 *   await withRunLock(run.id, () => train(..., { store: idbCheckpointStore(db, run.id) }));
 *   const zip = await exportRun(db, run.id); await importRun(db, file);
 *   const status = await storageStatus(); await requestPersistence();
 *
 * Errors meant for the user: StorageFullError (quota; nothing half-written), RunLockedError (another tab
 * trains the run), ModelNotCachedError (offline and the file was never downloaded).
 */
export * from './schema.ts';
export * from './errors.ts';
export * from './datasetStore.ts';
export * from './modelCache.ts';
export * from './runStore.ts';
export * from './checkpointStore.ts';
export * from './quota.ts';
export * from './runLock.ts';
export * from './runArchive.ts';
export * from './imageCache.ts';
export { gzipToBlob, gunzipBlob } from './compress.ts';
