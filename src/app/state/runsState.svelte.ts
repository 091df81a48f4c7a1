/** The run list: Resume, Delete, Export/Import (one file per run), the model zip of finished runs, storage use. */
import type { LabClient } from '../../lab/api/labApi.ts';
import { errorMessage } from '../lib/format.ts';
import type { RunRepository, RunSummary, StorageInfo, StoredRun } from '../lib/runRepository.ts';

export interface RunsDeps {
  runs?: RunRepository;
  client: LabClient;
  saveBlob: (blob: Blob, filename: string) => void;
  /** continues a stored run in the Train step */
  resume: (id: string, run: StoredRun) => Promise<void>;
  /** is this run being trained in this tab right now */
  isActive: (id: string) => boolean;
}

export class RunsState {
  runs = $state<RunSummary[]>([]);
  storage = $state<StorageInfo | null>(null);
  error = $state<string | null>(null);
  message = $state<string | null>(null);
  busyId = $state<string | null>(null);

  readonly deps: RunsDeps;

  get available(): boolean {
    return this.deps.runs !== undefined;
  }

  constructor(deps: RunsDeps) {
    this.deps = deps;
  }

  async refresh(): Promise<void> {
    const repo = this.deps.runs;
    if (!repo) return;
    try {
      const [runs, storage] = await Promise.all([repo.list(), repo.storage()]);
      this.runs = runs;
      this.storage = storage;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  canResume(r: RunSummary): boolean {
    return (r.status === 'paused' || r.status === 'stopped' || r.status === 'running' || r.status === 'failed') && !this.deps.isActive(r.id);
  }

  async #act(id: string, what: string, f: (repo: RunRepository) => Promise<void>): Promise<void> {
    const repo = this.deps.runs;
    if (!repo) return;
    this.busyId = id;
    this.error = null;
    this.message = null;
    try {
      await f(repo);
    } catch (e) {
      this.error = `${what}: ${errorMessage(e)}`;
    } finally {
      this.busyId = null;
      await this.refresh();
    }
  }

  resume(id: string): Promise<void> {
    return this.#act(id, 'Resume failed', async (repo) => {
      const got = await repo.get(id);
      if (!got) throw new Error('the run no longer exists');
      await this.deps.resume(id, got.run);
    });
  }

  remove(id: string): Promise<void> {
    if (this.deps.isActive(id)) {
      this.error = 'This run is training in this tab: cancel it first.';
      return Promise.resolve();
    }
    return this.#act(id, 'Delete failed', async (repo) => {
      await repo.remove(id);
      this.message = 'Run deleted.';
    });
  }

  exportRun(id: string): Promise<void> {
    return this.#act(id, 'Export failed', async (repo) => {
      const { blob, filename } = await repo.exportRun(id);
      this.deps.saveBlob(blob, filename);
      this.message = `Saved ${filename}.`;
    });
  }

  downloadModel(id: string, name: string): Promise<void> {
    return this.#act(id, 'Model download failed', async () => {
      const blob = await this.deps.client.exportZip(id);
      const filename = `${name.replace(/[^\w.-]+/g, '-').replace(/-+/g, '-')}.zip`;
      this.deps.saveBlob(blob, filename);
      this.message = `Saved ${filename}.`;
    });
  }

  importRun(file: File): Promise<void> {
    return this.#act('import', 'Import failed', async (repo) => {
      const r = await repo.importRun(file);
      this.message = `Imported "${r.name}".`;
    });
  }
}
