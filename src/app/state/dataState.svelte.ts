/**
 * Step 1: the corpus, queries and judgments. Loads the bundled Chorus data or the user's files, hands them
 * to the workers (LabClient.setData) and keeps the summary: counts, a preview and every rejected record.
 * Parsing and slicing happen in the pipeline worker, so a 19k-product catalogue never blocks the page.
 */
import { DEFAULT_TEXT_TEMPLATE, type DataSummary, type LabClient, type LabData, type Progress } from '../../lab/api/labApi.ts';
import { fetchBundledChorus, decodeMaybeGzip, type Fetcher } from '../lib/bundledData.ts';
import { CancellableTask } from './cancellableTask.svelte.ts';
import type { DataDescriptor } from '../lib/runRepository.ts';

export interface DataDeps {
  client: LabClient;
  /** base URL of the bundled data (public/data/chorus) */
  bundledBase: string;
  fetcher?: Fetcher;
}

const readBytes = async (f: File) => new Uint8Array(await f.arrayBuffer());

export class DataState extends CancellableTask {
  corpusFiles = $state<File[]>([]);
  queriesFile = $state<File | null>(null);
  judgmentsFile = $state<File | null>(null);
  /** null: the whole corpus; n: judged products + the first n others */
  sliceOthers = $state<number | null>(null);
  template = $state(DEFAULT_TEXT_TEMPLATE);

  summary = $state<DataSummary | null>(null);
  /** what was loaded last (Resume reloads it) */
  source = $state.raw<DataDescriptor | null>(null);

  loaded = $derived(this.summary !== null);
  hasJudgments = $derived((this.summary?.judgments ?? 0) > 0);
  hasQueries = $derived((this.summary?.importedQueries ?? 0) > 0);

  readonly deps: DataDeps;

  constructor(deps: DataDeps) {
    super();
    this.deps = deps;
  }

  setCorpusFiles(files: File[]): void {
    this.corpusFiles = files;
    this.error = null;
  }
  setQueriesFile(file: File | null): void {
    this.queriesFile = file;
    this.error = null;
  }
  setJudgmentsFile(file: File | null): void {
    this.judgmentsFile = file;
    this.error = null;
  }

  /** One click: the Chorus catalogue and its dev judgments. */
  loadBundled(): Promise<boolean> {
    return this.load({ kind: 'bundled', sliceOthers: this.sliceOthers, template: this.template });
  }

  /** The files the user dropped or picked. */
  loadFiles(): Promise<boolean> {
    if (!this.corpusFiles.length) {
      this.error = 'Choose at least one corpus file (.json, .json.zip, .jsonl or .csv).';
      return Promise.resolve(false);
    }
    return this.load({
      kind: 'files',
      corpus: [...this.corpusFiles],
      ...(this.queriesFile && { queries: this.queriesFile }),
      ...(this.judgmentsFile && { judgments: this.judgmentsFile }),
      sliceOthers: this.sliceOthers,
      template: this.template,
    });
  }

  /** Loads data from a descriptor (also used by Resume); false when it failed (see `error`). */
  async load(desc: DataDescriptor): Promise<boolean> {
    this.summary = null;
    return this.runCancellable(async (signal) => {
      const data = await this.#gather(desc, signal);
      // the worker's 'load' phase here is the corpus, not a model
      const onProgress = (p: Progress) =>
        p.phase === 'load' ? this.progress.set('parse', 'Reading the corpus', p.done, p.total, 'items') : this.progress.report(p);
      const summary = await this.deps.client.setData(data, onProgress, signal);
      this.progress.finishAll();
      this.summary = summary;
      this.source = desc;
      return true;
    });
  }

  async #gather(desc: DataDescriptor, signal: AbortSignal): Promise<LabData> {
    let data: LabData;
    if (desc.kind === 'bundled') {
      const fetched = await fetchBundledChorus(
        this.deps.bundledBase,
        (done, file) => this.progress.set('bundled', 'Downloading the Chorus catalogue', done, undefined, 'bytes', file),
        this.deps.fetcher,
        signal,
      );
      this.progress.finish('bundled');
      data = { corpus: fetched.corpus, judgments: fetched.judgments };
    } else {
      const corpus = [];
      for (const f of desc.corpus) corpus.push({ name: f.name, bytes: await readBytes(f) });
      data = { corpus };
      if (desc.judgments) data.judgments = { name: desc.judgments.name, text: decodeMaybeGzip(await readBytes(desc.judgments)) };
      if (desc.queries) data.queries = { name: desc.queries.name, text: decodeMaybeGzip(await readBytes(desc.queries)) };
    }
    // the pipeline worker parses (and slices) the corpus: the page only moves bytes
    if (desc.sliceOthers !== null) data.sliceOthers = desc.sliceOthers;
    data.template = desc.template;
    return data;
  }
}
