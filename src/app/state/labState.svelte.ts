/**
 * The whole walkthrough: the four steps of kata 13 and the state of each. Only these state classes talk to
 * the workers, through the LabClient; components get state and callbacks as props.
 */
import type { BackendInfo, LabClient } from '../../lab/api/labApi.ts';
import type { Fetcher } from '../lib/bundledData.ts';
import { errorMessage } from '../lib/format.ts';
import type { StepId } from '../lib/kataText.ts';
import type { RunRepository, StoredRun } from '../lib/runRepository.ts';
import { normalizeEndpoint, parseThreads, saveHubEndpoint, saveThreads, type KeyValueStore } from '../lib/settings.ts';
import { ConfigState } from './configState.svelte.ts';
import { DataState } from './dataState.svelte.ts';
import { EvalState } from './evalState.svelte.ts';
import { RunsState } from './runsState.svelte.ts';
import { TrainState } from './trainState.svelte.ts';
import { ImagesState } from './imagesState.svelte.ts';
import { SpeedCalibration } from './speedCalibration.svelte.ts';
import { encodePreset, type PresetLink } from '../lib/labPreset.ts';
import { applyPresetToConfig, presetOfConfig } from './presetConfig.ts';

export interface LabDeps {
  client: LabClient;
  runs?: RunRepository;
  hubEndpoint: string;
  bundledBase: string;
  fetcher?: Fetcher;
  saveBlob: (blob: Blob, filename: string) => void;
  settingsStore?: KeyValueStore;
  /** the wasm thread count the workers were started with (undefined: every core) */
  threads?: number;
  /** the setup the page's link carries (`?preset=`, `#config=`), applied by init */
  link?: PresetLink;
}

export class LabState {
  step = $state<StepId>('data');
  backend = $state<BackendInfo | null>(null);
  backendError = $state<string | null>(null);
  hubEndpoint = $state('');
  hubError = $state<string | null>(null);
  /** the saved wasm thread count (applies when the page is reloaded: the workers' pools are sized once) */
  threadsSetting = $state<number | undefined>(undefined);
  threadsError = $state<string | null>(null);
  /** what the page's link set up ("the kata-genq-quick preset"), or why it did not */
  linkApplied = $state<string | null>(null);
  linkError = $state<string | null>(null);

  readonly data: DataState;
  /** this device's measured training speeds (Configure's estimate) */
  readonly speed: SpeedCalibration;
  /** Configure, for every family (text embeddings or CLIP) */
  readonly config: ConfigState;
  /** CLIP: product images (Data step) */
  readonly images: ImagesState;
  readonly train: TrainState;
  readonly evaluation: EvalState;
  readonly runs: RunsState;
  readonly deps: LabDeps;

  constructor(deps: LabDeps) {
    this.deps = deps;
    this.hubEndpoint = deps.hubEndpoint;
    this.threadsSetting = deps.threads;
    this.data = new DataState({ client: deps.client, bundledBase: deps.bundledBase, ...(deps.fetcher && { fetcher: deps.fetcher }) });
    this.speed = new SpeedCalibration({
      client: deps.client,
      store: deps.settingsStore,
      backend: () => (this.backend ? `${this.backend.name}${this.backend.threads ? `·${this.backend.threads}t` : ''}` : undefined),
    });
    this.config = new ConfigState({ client: deps.client, hubEndpoint: () => this.hubEndpoint, speed: this.speed });
    this.images = new ImagesState({ client: deps.client });
    this.evaluation = new EvalState({ client: deps.client, saveBlob: deps.saveBlob });
    this.train = new TrainState({
      client: deps.client,
      ...(deps.runs && { runs: deps.runs }),
      onFinished: (r) => this.evaluation.setResults(r),
      onRunsChanged: () => void this.runs.refresh(),
    });
    this.runs = new RunsState({
      ...(deps.runs && { runs: deps.runs }),
      client: deps.client,
      saveBlob: deps.saveBlob,
      resume: (id, run) => this.resumeRun(id, run),
      isActive: (id) => this.train.runId === id && (this.train.phase === 'running' || this.train.phase === 'paused'),
    });
  }

  /** Which steps can be opened: each needs the one before it. */
  canOpen(step: StepId): boolean {
    switch (step) {
      case 'data':
        return true;
      case 'configure':
        return this.data.loaded;
      case 'train':
        return this.train.phase !== 'idle';
      case 'evaluate':
        return this.evaluation.ready || this.runs.runs.length > 0;
    }
  }

  go(step: StepId): void {
    if (this.canOpen(step)) this.step = step;
  }

  async init(): Promise<void> {
    await Promise.all([
      this.deps.client.backend().then(
        (b) => (this.backend = b),
        (e) => (this.backendError = errorMessage(e)),
      ),
      this.runs.refresh(),
      this.applyLink(this.deps.link),
    ]);
  }

  /** A link's preset: Configure's values, and with `data: 'chorus'` the bundled catalogue loaded and Configure opened. */
  async applyLink(link: PresetLink | undefined): Promise<void> {
    if (link?.error) this.linkError = link.error;
    const p = link?.preset;
    if (!p) return;
    applyPresetToConfig(this.config, p);
    this.linkApplied = link.name ? `the ${link.name} preset` : "the link's setup";
    if (p.data !== 'chorus') return;
    if (p.slice !== undefined) this.data.sliceOthers = p.slice;
    await this.loadBundledAndContinue();
  }

  /** This setup as a link (`pageUrl` without its query and fragment, plus #config=), and what a link cannot carry. */
  setupLink(pageUrl: string): { url: string; omitted: string[] } {
    const source = this.data.source;
    const bundled = source?.kind === 'bundled';
    const { preset, omitted } = presetOfConfig(this.config, { bundled, slice: bundled ? source.sliceOthers : null });
    return { url: pageUrl.replace(/[?#].*$/, '') + encodePreset(preset), omitted };
  }

  setHubEndpoint(raw: string): boolean {
    try {
      this.hubEndpoint = normalizeEndpoint(raw);
      this.hubError = null;
      saveHubEndpoint(this.hubEndpoint, this.deps.settingsStore);
      return true;
    } catch (e) {
      this.hubError = errorMessage(e);
      return false;
    }
  }

  /** saves a wasm thread count ('' = every core); the workers pick it up when the page is reloaded */
  setThreads(raw: string): boolean {
    try {
      this.threadsSetting = parseThreads(raw);
      this.threadsError = null;
      saveThreads(this.threadsSetting, this.deps.settingsStore);
      return true;
    } catch (e) {
      this.threadsError = errorMessage(e);
      return false;
    }
  }

  async loadBundledAndContinue(): Promise<void> {
    if (await this.data.loadBundled()) this.step = 'configure';
  }

  /** Starts training with the current configuration and moves to the monitor. */
  async startRun(): Promise<void> {
    const source = this.data.source;
    if (!source) return;
    const clip = this.config.family === 'clip';
    const images = this.images.checked;
    if (this.config.problems(this.data.summary, this.images.summary).length || (clip && !images)) return;
    const plan = this.config.plan(this.data.hasJudgments, images ?? undefined);
    this.step = 'train';
    await this.train.start(plan, source);
  }

  /** Resume from the run list: reload the run's data, then continue training from its checkpoint. */
  async resumeRun(id: string, run: StoredRun): Promise<void> {
    if (this.train.busy) throw new Error('another run is in progress in this tab');
    const same = this.data.source && JSON.stringify(descriptorKey(this.data.source)) === JSON.stringify(descriptorKey(run.data));
    if (!same && !(await this.data.load(run.data))) throw new Error(`its data could not be loaded: ${this.data.error}`);
    // a CLIP run evaluates on the product images: check them again (cached in IndexedDB, so no download)
    if (run.plan.images && (!same || !this.images.ready) && !(await this.images.check(run.plan.images))) {
      throw new Error(`its product images could not be loaded: ${this.images.error}`);
    }
    this.step = 'train';
    await this.train.resumeStored(id, run);
  }
}

function descriptorKey(d: StoredRun['data']): unknown {
  return d.kind === 'bundled'
    ? d
    : { ...d, corpus: d.corpus.map((f) => [f.name, f.size, f.lastModified]), queries: d.queries?.name, judgments: d.judgments?.name };
}
