/** The run list over the lab's IndexedDB (src/storage): the database the workers checkpoint into. */
import {
  createRun,
  deleteRun,
  exportRun,
  getRun,
  heldRunLocks,
  importRun,
  listRuns,
  openLabDb,
  recoverInterruptedRuns,
  requestPersistence,
  runArchiveFileName,
  storageStatus,
  updateRun,
  type LabDb,
  type RunRecord,
} from '../../storage/index.ts';
import type { RunRepository, RunSummary, StoredRun } from './runRepository.ts';

function summary(r: RunRecord): RunSummary {
  const { config: _config, datasetIds: _ids, ...rest } = r;
  return rest;
}

export function idbRunRepository(dbName?: string): RunRepository {
  let db: Promise<LabDb> | undefined;
  // on first open (page load): runs left 'running' by a reload or crash, whose lock no tab holds, become 'paused'
  const open = () =>
    (db ??= openLabDb(dbName).then(async (d) => {
      const held = await heldRunLocks().catch(() => new Set<string>());
      await recoverInterruptedRuns(d, (id) => held.has(id));
      return d;
    }));
  let persistenceAsked = false;
  return {
    async list() {
      return (await listRuns(await open())).map(summary);
    },
    async create(name, run) {
      if (!persistenceAsked) {
        persistenceAsked = true;
        // a run holds checkpoints the user will want after a reload: ask the browser not to evict them
        await requestPersistence().catch(() => undefined);
      }
      return summary(await createRun<StoredRun>(await open(), { name, config: run }));
    },
    async get(id) {
      const r = await getRun<StoredRun>(await open(), id);
      return r ? { summary: summary(r), run: r.config } : undefined;
    },
    async update(id, patch) {
      await updateRun(await open(), id, patch);
    },
    async remove(id) {
      await deleteRun(await open(), id);
    },
    async exportRun(id) {
      const d = await open();
      const r = await getRun(d, id);
      if (!r) throw new Error(`run ${id} does not exist`);
      return { blob: await exportRun(d, id), filename: runArchiveFileName(r) };
    },
    async importRun(file) {
      return summary(await importRun(await open(), file, { source: file.name }));
    },
    async storage() {
      const s = await storageStatus();
      return {
        summary: s.summary,
        ...(s.usage !== undefined && { usage: s.usage }),
        ...(s.quota !== undefined && { quota: s.quota }),
        ...(s.persisted !== undefined && { persisted: s.persisted }),
      };
    },
  };
}
