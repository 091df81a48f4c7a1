import { describe, expect, it, vi } from 'vitest';
import { LabState } from '../../src/app/state/labState.svelte.ts';
import { queryRows, metricRows } from '../../src/app/state/evalState.svelte.ts';
import { initialHubEndpoint, initialThreads, normalizeEndpoint, DEFAULT_HUB } from '../../src/app/lib/settings.ts';
import { chorusSnippets } from '../../src/app/lib/chorusSnippets.ts';
import { formatBytes, formatDelta, formatDuration, metricLabel } from '../../src/app/lib/format.ts';
import type { RunRepository, RunSummary, StoredRun } from '../../src/app/lib/runRepository.ts';
import { FakeLabClient } from '../helpers/fakeLabClient.ts';
import type { EvaluateRequest, SupervisedPrepare, UnsupervisedPrepare } from '../../src/lab/api/labApi.ts';

function memoryRuns(): RunRepository & { records: Map<string, { summary: RunSummary; run: StoredRun }> } {
  const records = new Map<string, { summary: RunSummary; run: StoredRun }>();
  let n = 0;
  return {
    records,
    list: async () => [...records.values()].map((r) => r.summary),
    create: async (name, run) => {
      const summary: RunSummary = { id: `r${++n}`, name, status: 'created', createdAt: n, updatedAt: n };
      records.set(summary.id, { summary, run });
      return summary;
    },
    get: async (id) => records.get(id),
    update: async (id, patch) => {
      const r = records.get(id);
      if (!r) throw new Error(`no run ${id}`);
      r.summary = { ...r.summary, ...patch };
    },
    remove: async (id) => void records.delete(id),
    exportRun: async (id) => ({ blob: new Blob([id]), filename: `${id}.ftlab-run.zip` }),
    importRun: async (file) => {
      const summary: RunSummary = { id: `imported-${file.name}`, name: file.name, status: 'paused', createdAt: 0, updatedAt: 0 };
      records.set(summary.id, { summary, run: [...records.values()][0]!.run });
      return summary;
    },
    storage: async () => ({ usage: 1e6, quota: 1e9, persisted: true, summary: '1 MB of 1 GB used' }),
  };
}

function memoryStore() {
  const store = new Map<string, string>();
  return { store, kv: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } };
}

function makeLab(opts: ConstructorParameters<typeof FakeLabClient>[0] = {}, settingsStore?: ReturnType<typeof memoryStore>['kv']) {
  const client = new FakeLabClient(opts);
  const runs = memoryRuns();
  const saved: { blob: Blob; name: string }[] = [];
  const bundled: Record<string, Uint8Array<ArrayBuffer>> = {
    '1.json.zip': new Uint8Array([1, 2, 3]),
    '2.json.zip': new Uint8Array([4]),
    '3.json.zip': new Uint8Array([5]),
    '4.json.zip': new Uint8Array([6]),
    'judgments-dev.csv': new TextEncoder().encode('query,docid,rating\nq,1,3\n'),
  };
  const fetcher = async (url: string) => {
    const name = url.split('/').pop()!;
    return bundled[name] ? new Response(bundled[name]) : new Response('missing', { status: 404 });
  };
  const lab = new LabState({
    client,
    runs,
    hubEndpoint: 'http://127.0.0.1:9',
    bundledBase: '/data/chorus',
    fetcher,
    saveBlob: (blob, name) => saved.push({ blob, name }),
    ...(settingsStore && { settingsStore }),
  });
  return { lab, client, runs, saved };
}

const file = (name: string, text: string) => new File([text], name);

describe('DataState', () => {
  it('loads the bundled Chorus files with one click and moves on to Configure', async () => {
    const { lab, client } = makeLab();
    expect(lab.canOpen('configure')).toBe(false);
    await lab.loadBundledAndContinue();
    expect(lab.data.error).toBeNull();
    expect(lab.step).toBe('configure');
    const sent = client.called('setData')[0]!.args[0] as { corpus: { name: string }[]; judgments: { text: string }; template: string };
    expect(sent.corpus.map((c) => c.name)).toEqual(['1.json.zip', '2.json.zip', '3.json.zip', '4.json.zip']);
    expect(sent.judgments.text).toContain('query,docid,rating');
    expect(sent.template).toBe('{title} {supplier}');
    expect(lab.data.summary?.rejected).toHaveLength(1);
    expect(lab.data.hasJudgments).toBe(true);
    expect(lab.data.progress.bars.find((b) => b.key === 'bundled')?.done).toBe(3 + 1 + 1 + 1 + 25);
    expect(lab.data.progress.bars.map((b) => b.label)).toEqual(['Downloading the Chorus catalogue', 'Reading the corpus']);
  });

  it('leaves slicing to the worker: the page sends the files untouched plus sliceOthers', async () => {
    const { lab, client } = makeLab();
    lab.data.sliceOthers = 10;
    expect(await lab.data.loadBundled()).toBe(true);
    const sent = client.called('setData')[0]!.args[0] as { corpus: { name: string; bytes: Uint8Array }[]; sliceOthers?: number };
    expect(sent.sliceOthers).toBe(10);
    expect(sent.corpus.map((c) => [c.name, [...c.bytes]])).toEqual([
      ['1.json.zip', [1, 2, 3]],
      ['2.json.zip', [4]],
      ['3.json.zip', [5]],
      ['4.json.zip', [6]],
    ]);
    expect(lab.data.source).toMatchObject({ kind: 'bundled', sliceOthers: 10 });
  });

  it("sends dropped files and shows the worker's error naming the file and line", async () => {
    const { lab } = makeLab({ dataError: 'bad.jsonl: line 2: malformed JSON' });
    lab.data.setCorpusFiles([file('bad.jsonl', '{"id":1}\n{oops\n')]);
    expect(await lab.data.loadFiles()).toBe(false);
    expect(lab.data.error).toBe('bad.jsonl: line 2: malformed JSON');
    expect(lab.data.loaded).toBe(false);
  });

  it('asks for a corpus file before loading', async () => {
    const { lab, client } = makeLab();
    expect(await lab.data.loadFiles()).toBe(false);
    expect(lab.data.error).toMatch(/corpus file/);
    expect(client.called('setData')).toHaveLength(0);
  });

  it('names a missing bundled file', async () => {
    const { client } = makeLab();
    const lab = new LabState({
      client,
      hubEndpoint: DEFAULT_HUB,
      bundledBase: '/x',
      fetcher: async () => new Response('', { status: 404 }),
      saveBlob: () => {},
    });
    expect(await lab.data.loadBundled()).toBe(false);
    expect(lab.data.error).toMatch(/data\/chorus\/1\.json\.zip.*404/);
  });
});

describe('ConfigState', () => {
  it('builds the unsupervised GPL plan with the cross-encoder and the Hub endpoint', async () => {
    const { lab } = makeLab();
    await lab.data.loadBundled();
    lab.config.text.teacher = 'hub';
    const plan = lab.config.plan(true);
    expect(plan.model).toEqual({ kind: 'hub', id: 'sentence-transformers/all-MiniLM-L6-v2', endpoint: 'http://127.0.0.1:9' });
    expect(plan.prepare).toMatchObject({
      mode: 'unsupervised',
      querySource: 'offline',
      crossEncoder: { kind: 'hub', id: 'cross-encoder/ms-marco-MiniLM-L-6-v2' },
    });
    expect(plan.train.config).toMatchObject({ loss: 'margin-mse', lr: 2e-5, batchSize: 16, epochs: 1 });
    expect(plan.name).toMatch(/^GPL/);
  });

  it('swaps the learning-rate default for a model from scratch, keeping a user-set value', () => {
    const { lab } = makeLab();
    lab.config.chooseModel('scratch');
    expect(lab.config.lr).toBe(5e-4);
    expect(lab.config.modelSpec()).toMatchObject({ kind: 'scratch', hidden: 128, layers: 2 });
    lab.config.chooseModel('curated');
    expect(lab.config.lr).toBe(2e-5);
    lab.config.lr = 1e-4;
    lab.config.chooseModel('scratch');
    expect(lab.config.lr).toBe(1e-4);
  });

  it('lists what blocks a run', async () => {
    const { lab } = makeLab();
    expect(lab.config.problems(null)).toContain('Load data first (step 1).');
    lab.data.setCorpusFiles([file('c.jsonl', '{"id":1}')]);
    await lab.data.loadFiles();
    lab.config.text.mode = 'supervised';
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/needs relevance judgments/);
    lab.config.text.mode = 'unsupervised';
    lab.config.text.querySource = 'imported';
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/queries file/);
    lab.config.text.querySource = 'offline';
    lab.config.chooseModel('custom');
    lab.config.customId = 'not a valid id!';
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/Hub model id/);
    lab.config.customId = 'me/my-model';
    expect(lab.config.problems(lab.data.summary)).toEqual([]);
  });

  it('estimates curated models without fetching and refuses models that do not fit', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    await lab.config.refreshEstimate(lab.data.summary);
    expect(client.called('inspectModel')).toHaveLength(0);
    expect(client.called('estimate')[0]!.args[0]).toMatchObject({ model: { hidden: 384, layers: 6 }, batchSize: 16, rows: 3, textsPerRow: 3 });
    expect(lab.config.estimate?.fits).toBe(true);
    lab.config.chooseModel('custom');
    lab.config.customId = 'big/model';
    await lab.config.refreshEstimate(lab.data.summary);
    expect(client.called('inspectModel')).toHaveLength(1);
    expect(lab.config.estimate?.fits).toBe(false);
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/does not fit: too large/);
  });
});

async function waitFor(cond: () => boolean, ms = 2000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('speed calibration', () => {
  it('measures a step once per backend, thread count and shape; the estimate then divides by the measured rate', async () => {
    const { store, kv } = memoryStore();
    const { lab, client } = makeLab({}, kv);
    lab.backend = { name: 'wasm', reason: 'test', threads: 2 };
    await lab.data.loadBundled();
    await lab.config.refreshEstimate(lab.data.summary);
    expect(lab.config.estimate?.measured).toBe(false);
    await lab.config.measureSpeed(lab.data.summary);
    expect(client.called('calibrate')[0]!.args[0]).toMatchObject({ model: { hidden: 384, layers: 6 }, textsPerRow: 3 });
    expect([...store]).toEqual([['ftlab.speed.wasm·2t:384x6x12x1536x30522', '400000000000']]);
    expect(client.called('estimate').at(-1)!.args[0]).toMatchObject({ flopsPerSecond: 4e11 });
    expect(lab.config.estimate).toMatchObject({ measured: true, flopsPerSecond: 4e11 });

    // a reload keeps the rate; another thread count (or backend) is another speed, measured anew
    const again = makeLab({}, kv);
    again.lab.backend = { name: 'wasm', reason: 'test', threads: 2 };
    await again.lab.data.loadBundled();
    await again.lab.config.refreshEstimate(again.lab.data.summary);
    expect(again.lab.config.estimate?.measured).toBe(true);
    again.lab.backend = { name: 'wasm', reason: 'test', threads: 1 };
    await again.lab.config.refreshEstimate(again.lab.data.summary);
    expect(again.lab.config.estimate?.measured).toBe(false);
  });

  it('says that CLIP speed is not measured, and keeps a worker failure as the message', async () => {
    const { lab, client } = makeLab();
    lab.backend = { name: 'wasm', reason: 'test', threads: 2 };
    expect(await lab.speed.measure({ vision: {} } as never)).toBe(false);
    expect(lab.speed.error).toMatch(/text models; CLIP estimates use the backend default/);
    client.calibrate = () => Promise.reject(new Error('calibration aborted'));
    expect(await lab.speed.measure({ hidden: 8, layers: 1, heads: 2, intermediate: 16, vocabSize: 50, maxSeqLength: 16 })).toBe(false);
    expect(lab.speed.error).toBe('calibration aborted');
    expect(lab.speed.measuring).toBe(false);
  });
});

describe('TrainState', () => {
  it('runs model → prepare → baseline → train → tuned, feeding charts, bars, log and the run list', async () => {
    const { lab, client, runs } = makeLab();
    await lab.data.loadBundled();
    await lab.startRun();
    const t = lab.train;
    expect(t.phase).toBe('done');
    expect(t.stages.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(t.chartSteps).toEqual([1, 2, 3, 4]);
    expect(t.chartLoss).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);
    expect(t.chartLr[3]).toBeCloseTo(4e-5);
    expect(t.bars.bars.map((b) => b.key)).toEqual(['download', 'mine', 'train']);
    expect(t.bars.bars.find((b) => b.key === 'download')).toMatchObject({ done: 100, total: 100, unit: 'bytes', finished: true });
    expect(t.bars.bars.find((b) => b.key === 'train')).toMatchObject({ done: 4, total: 4, unit: 'steps' });
    expect(t.log.some((l) => l.level === 'warn' && l.text === 'a warning')).toBe(true);
    const req = client.called('train')[0]!.args[1] as { rows: unknown[]; config: { loss: string }; model: unknown };
    expect(req.rows).toHaveLength(2);
    expect(req.config.loss).toBe('mnrl');
    const stored = runs.records.get(t.runId!)!;
    expect(stored.summary).toMatchObject({ status: 'done', metricsBefore: { 'ndcg@10': 0.3 }, metricsAfter: { 'ndcg@10': 0.5 } });
    expect(stored.run.request.rows).toHaveLength(2);
    expect(stored.run.data).toMatchObject({ kind: 'bundled' });
    expect(lab.evaluation.ready).toBe(true);
    expect(lab.canOpen('evaluate')).toBe(true);
  });

  it("GenQ's hard negative: the base model's top 10, none, or mined with mine_hard_negatives' source and margins", () => {
    const { lab } = makeLab();
    const t = lab.config.text;
    const req = () => t.prepareRequest(1) as UnsupervisedPrepare;
    expect(req()).not.toHaveProperty('negatives');
    expect(req().mineNegatives).toBeUndefined();
    expect(t.estimateOptions().textsPerRow).toBe(3);
    t.genqNegative = 'none';
    expect(req().mineNegatives).toBe(false);
    expect(t.estimateOptions().textsPerRow).toBe(2);
    t.genqNegative = 'mined';
    t.negativesFrom = 'bm25';
    t.negativeRelativeMargin = 0.1;
    expect(req().negatives).toEqual({ source: 'bm25', relativeMargin: 0.1 });
    // the same filters for supervised pairs
    t.mode = 'supervised';
    t.negativeMargin = 0.05;
    expect((t.prepareRequest(1) as SupervisedPrepare).negatives).toEqual({ source: 'bm25', absoluteMargin: 0.05, relativeMargin: 0.1 });
    // a teacher labels its own candidates: GPL ignores the GenQ choice
    t.mode = 'unsupervised';
    t.teacher = 'hub';
    expect(req()).not.toHaveProperty('negatives');
  });

  it("the 'from scratch' preset is the README's offline recipe", () => {
    const { lab } = makeLab();
    lab.config.chooseFamily('clip');
    lab.config.text.teacher = 'hub';
    lab.config.text.perProduct = 1;
    lab.config.applyScratchRecipe();
    expect(lab.config.family).toBe('text');
    expect(lab.config.modelSpec()).toMatchObject({ kind: 'scratch', hidden: 128, layers: 2 });
    expect(lab.config.plan(true).prepare).toMatchObject({ mode: 'unsupervised', querySource: 'offline', perProduct: 3, mineNegatives: false });
    expect(lab.config.trainSettings()).toMatchObject({ loss: 'mnrl', batchSize: 64, lr: 5e-4, epochs: 1, warmupRatio: 0.1 });
  });

  it('trains MNRL through GradCache when asked, with the mini-batch the estimate picked', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    lab.config.text.gradCache = true;
    lab.config.text.noDuplicates = true;
    lab.config.text.matryoshkaDims = '32, 16 8';
    lab.config.batchSize = 128;
    await lab.config.refreshEstimate(lab.data.summary);
    expect((client.called('estimate').at(-1)!.args[0] as { gradCache?: boolean }).gradCache).toBe(true);
    await lab.startRun();
    expect((client.called('train')[0]!.args[1] as { config: object }).config).toMatchObject({
      loss: 'cached-mnrl',
      miniBatchSize: 8,
      batchSize: 128,
      matryoshkaDims: [32, 16, 8],
    });
    lab.config.text.matryoshkaDims = '';
    expect(lab.config.trainSettings()).not.toHaveProperty('matryoshkaDims');
    // GPL's MarginMSE has no cached form: the choice does not apply there
    lab.config.text.teacher = 'hub';
    expect(lab.config.text.usesGradCache()).toBe(false);
    expect(lab.config.trainSettings().loss).toBe('margin-mse');
  });

  it('offers the best checkpoint and early stopping only where the periodic evaluation is held out (supervised)', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    const text = lab.config.text;
    text.evalEvery = 2;
    text.keepBest = true;
    text.patience = 3;
    expect(text.bestChoiceApplies()).toBe(false); // unsupervised: the periodic evaluation uses the reported judgments
    expect(lab.config.trainSettings()).not.toHaveProperty('loadBestModelAtEnd');
    text.mode = 'supervised';
    expect(lab.config.trainSettings()).toMatchObject({ loadBestModelAtEnd: true, earlyStoppingPatience: 3 });
    await lab.startRun();
    expect((client.called('train')[0]!.args[1] as { config: object }).config).toMatchObject({ loadBestModelAtEnd: true, earlyStoppingPatience: 3 });
    expect(lab.train.log.map((l) => l.text)).toContain('Kept the weights of step 1, the best ndcg@10 on the held-out queries (0.400).');
    text.patience = 1.5;
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/Stop after/);
  });

  it('evaluates a supervised run on the held-out queries only', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    lab.config.text.mode = 'supervised';
    await lab.startRun();
    await vi.waitFor(() => expect(lab.evaluation.comparing).toBe(false));
    expect(client.called('evaluate').map((c) => c.args[0])).toEqual([
      { which: 'baseline', queries: ['q2'] },
      { which: 'tuned', queries: ['q2'] },
      // the BM25 and hybrid columns score the same held-out queries
      { which: 'bm25', queries: ['q2'] },
      { which: 'tuned', hybrid: { fusion: 'rrf' }, queries: ['q2'] },
    ]);
    expect((client.called('train')[0]!.args[1] as { evalQueries: string[] }).evalQueries).toEqual(['q2']);
  });

  it("evaluates every N steps when asked: eval points in step order, closed by the tuned model's evaluation", async () => {
    const { lab, client } = makeLab({ totalSteps: 5 });
    await lab.data.loadBundled();
    lab.config.text.evalEvery = 2;
    expect(lab.config.plan(false).train.evalEverySteps).toBeUndefined(); // nothing to evaluate on without judgments
    await lab.startRun();
    expect((client.called('train')[0]!.args[1] as { evalEverySteps?: number }).evalEverySteps).toBe(2);
    expect(lab.train.evals.map((p) => p.step)).toEqual([2, 4, 5]);
    expect(lab.train.evals[0]!.metrics['ndcg@10']).toBeCloseTo(0.32);
    expect(lab.train.evals[2]!.metrics).toEqual({ 'ndcg@10': 0.5, 'mrr@10': 0.6 }); // the fake's tuned evaluation
    expect(lab.train.log.some((l) => l.text === 'step 4: ndcg@10 0.340')).toBe(true);
    lab.config.text.evalEvery = 1.5;
    expect(lab.config.problems(lab.data.summary).join(' ')).toMatch(/Evaluate every/);
  });

  it('pauses (checkpoint), resumes from the checkpoint step and finishes', async () => {
    const { lab, client, runs } = makeLab({ totalSteps: 50 });
    await lab.data.loadBundled();
    const started = lab.startRun();
    await waitFor(() => lab.train.canPause && lab.train.step >= 2);
    lab.train.pause();
    await started;
    expect(lab.train.phase).toBe('paused');
    const pausedAt = lab.train.step;
    expect(runs.records.get(lab.train.runId!)!.summary.status).toBe('paused');
    await lab.train.resume();
    expect(lab.train.phase).toBe('done');
    expect(client.called('train')).toHaveLength(2);
    expect(lab.train.log.some((l) => l.text.startsWith(`Resumed from the checkpoint at step ${pausedAt}`))).toBe(true);
    expect(lab.train.chartSteps.at(-1)).toBe(50);
  });

  it('cancel stops the run and marks it stopped; nan fails with the message', async () => {
    const { lab, runs } = makeLab({ totalSteps: 50 });
    await lab.data.loadBundled();
    const started = lab.startRun();
    await waitFor(() => lab.train.canPause && lab.train.step >= 1);
    lab.train.cancel();
    await started;
    expect(lab.train.phase).toBe('cancelled');
    expect(runs.records.get(lab.train.runId!)!.summary.status).toBe('stopped');

    const nan = makeLab({ nanAt: 3 });
    await nan.lab.data.loadBundled();
    await nan.lab.startRun();
    expect(nan.lab.train.phase).toBe('failed');
    expect(nan.lab.train.error).toMatch(/loss is NaN at step 3.*last good checkpoint/);
    expect(nan.runs.records.get(nan.lab.train.runId!)!.summary).toMatchObject({ status: 'failed', error: 'loss is NaN at step 3' });
  });

  it('resumes a stored run from the run list after a "reload"', async () => {
    const first = makeLab({ totalSteps: 50 });
    await first.lab.data.loadBundled();
    const started = first.lab.startRun();
    await waitFor(() => first.lab.train.canPause && first.lab.train.step >= 2);
    first.lab.train.pause();
    await started;
    const id = first.lab.train.runId!;
    // a new page: fresh state over the same storage and the same (checkpointing) workers
    const lab = new LabState({
      client: first.client,
      runs: first.runs,
      hubEndpoint: DEFAULT_HUB,
      bundledBase: '/data/chorus',
      saveBlob: () => {},
      fetcher: async (u) => new Response(u.endsWith('.csv') ? 'query,docid,rating\n' : new Uint8Array([1])),
    });
    await lab.init();
    expect(lab.runs.runs.map((r) => r.status)).toEqual(['paused']);
    expect(lab.runs.canResume(lab.runs.runs[0]!)).toBe(true);
    await lab.runs.resume(id);
    expect(lab.runs.error).toBeNull();
    expect(lab.train.phase).toBe('done');
    expect(lab.train.stages.map((s) => s.id)).toEqual(['model', 'baseline', 'train', 'tuned']);
    expect(lab.runs.runs[0]!.status).toBe('done');
  });
});

describe('EvalState and RunsState', () => {
  it('sorts per-query rows by change and compares metrics', () => {
    const before = {
      which: 'baseline' as const,
      metrics: { 'mrr@10': 0.4, 'ndcg@10': 0.3 },
      warnings: [],
      queries: [
        { query: 'a', numRelevant: 1, metrics: { 'ndcg@10': 0.5 } },
        { query: 'b', numRelevant: 1, metrics: { 'ndcg@10': 0.2 } },
      ],
    };
    const after = {
      ...before,
      which: 'tuned' as const,
      metrics: { 'ndcg@10': 0.4, 'mrr@10': 0.3 },
      queries: [
        { query: 'a', numRelevant: 1, metrics: { 'ndcg@10': 0.1 } },
        { query: 'b', numRelevant: 1, metrics: { 'ndcg@10': 0.9 } },
      ],
    };
    expect(queryRows(before, after, 'ndcg@10').map((r) => [r.query, +r.delta.toFixed(2)])).toEqual([
      ['b', 0.7],
      ['a', -0.4],
    ]);
    const m = metricRows(before.metrics, after.metrics);
    expect(m.map((r) => r.key)).toEqual(['ndcg@10', 'mrr@10']);
    expect(m[0]!.delta).toBeCloseTo(0.1);
  });

  it('searches both models, exports the zip and fills Chorus snippets with the dimension', async () => {
    const { lab, client, saved } = makeLab();
    await lab.data.loadBundled();
    await lab.startRun();
    const ev = lab.evaluation;
    expect(ev.perQuery.map((r) => r.query)).toEqual(['gaming mouse pad', 'laptop', 'microsoft office']);
    ev.order = 'loss';
    expect(ev.perQuery[0]!.query).toBe('microsoft office');
    await ev.search('gaming mouse pad');
    expect(ev.baselineHits).toHaveLength(10);
    expect(ev.tunedHits[0]!.id).toBe('tuned-0');
    expect(ev.bm25Hits[0]!.id).toBe('bm25-0');
    expect(
      client
        .called('search')
        .map((c) => c.args[2])
        .sort(),
    ).toEqual(['baseline', 'bm25', 'tuned']);
    await ev.exportZip();
    expect(saved.map((s) => s.name)).toEqual(['all-MiniLM-L6-v2-ftlab-finetuned.zip']);
    expect(ev.snippets.find((s) => s.title === 'Solr field type')!.code).toContain('"vectorDimension": 32');
  });

  it('choose what to ship: the α slider re-evaluates, a table row sets the zip and the Chorus dimension', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    await lab.startRun();
    const { ship } = lab.evaluation;
    expect(ship.choice).toEqual({});
    await ship.setAlpha(0.5);
    expect(client.called('variants').at(-1)!.args[0]).toEqual({ alphas: [0.5], dtypes: ['fp32'], dims: [32] });
    expect(ship.atAlpha!.metrics['ndcg@10']).toBeCloseTo(0.4);
    expect(ship.choice).toEqual({ wiseAlpha: 0.5 });
    await ship.setAlpha(2); // out of range: ignored
    expect(ship.alpha).toBe(0.5);
    await ship.measure();
    expect(client.called('variants').at(-1)!.args[0]).toEqual({ alphas: [0.5, 1], dtypes: ['fp32', 'q8', 'int8', 'fp16'] });
    expect(ship.rows).toHaveLength(16);
    const i = ship.rows.findIndex((r) => r.alpha === 1 && r.dtype === 'int8' && r.dim === 16);
    ship.choose(i);
    expect(ship.choice).toEqual({ dtype: 'int8', truncateDim: 16 });
    expect(lab.evaluation.snippets.find((s) => s.title === 'Solr field type')!.code).toContain('"vectorDimension": 16');
    await lab.evaluation.exportZip();
    expect(client.called('exportZip').at(-1)!.args[1]).toMatchObject({ ship: { dtype: 'int8', truncateDim: 16 } });
    ship.choose(null);
    expect(ship.choice).toEqual({ wiseAlpha: 0.5 });
  });

  it('puts BM25 and a hybrid of the fine-tuned model with BM25 beside the two models, on the same queries', async () => {
    const { lab, client } = makeLab();
    await lab.data.loadBundled();
    await lab.startRun();
    const ev = lab.evaluation;
    await vi.waitFor(() => expect(ev.hybrid).not.toBeNull());
    const ndcg = ev.metrics.find((m) => m.key === 'ndcg@10')!;
    expect(ndcg).toMatchObject({ bm25: 0.45, before: 0.3, after: 0.5, hybrid: 0.6 });
    expect(ev.perQuery.find((q) => q.query === 'gaming mouse pad')).toMatchObject({ bm25: 0.7, before: 0.2, after: 0.9 });
    const asked = client.called('evaluate').map((c) => c.args[0] as EvaluateRequest);
    expect(asked.filter((r) => r.which === 'bm25' || r.hybrid)).toEqual([{ which: 'bm25' }, { which: 'tuned', hybrid: { fusion: 'rrf' } }]);
    await ev.setFusion('mix');
    await ev.setWeight(2);
    expect(ev.metrics[0]!.hybrid).toBeCloseTo(0.57);
    await ev.setWeight(Number.NaN); // a cleared field keeps the weight
    expect(ev.weight).toBe(2);
    // BM25 is asked once per run; only the hybrid follows the choice
    expect(client.called('evaluate').filter((c) => (c.args[0] as EvaluateRequest).which === 'bm25')).toHaveLength(1);
  });

  it('deletes, exports and imports runs, and shows storage use', async () => {
    const { lab, runs, saved } = makeLab();
    await lab.data.loadBundled();
    await lab.startRun();
    await lab.runs.refresh();
    expect(lab.runs.storage?.summary).toBe('1 MB of 1 GB used');
    const id = lab.runs.runs[0]!.id;
    await lab.runs.exportRun(id);
    expect(saved.at(-1)!.name).toBe(`${id}.ftlab-run.zip`);
    await lab.runs.importRun(new File(['x'], 'old.zip'));
    expect(lab.runs.runs).toHaveLength(2);
    expect(lab.runs.message).toBe('Imported "old.zip".');
    await lab.runs.remove(id);
    expect(runs.records.has(id)).toBe(false);
    expect(lab.runs.runs).toHaveLength(1);
  });
});

describe('settings and formatting', () => {
  it('takes the Hub endpoint from ?hub=, then storage, else huggingface.co', () => {
    const store = new Map<string, string>();
    const kv = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(initialHubEndpoint('', kv)).toBe(DEFAULT_HUB);
    store.set('ftlab.hubEndpoint', 'https://mirror.example/');
    expect(initialHubEndpoint('', kv)).toBe('https://mirror.example');
    expect(initialHubEndpoint('?hub=http%3A%2F%2F127.0.0.1%3A5000', kv)).toBe('http://127.0.0.1:5000');
    expect(() => normalizeEndpoint('ftp://x')).toThrow(/http/);
  });

  it('takes the wasm thread count from ?threads=, then storage, else every core; refuses a bad one, naming it', () => {
    const { store, kv } = memoryStore();
    expect(initialThreads('', kv)).toBeUndefined();
    store.set('ftlab.wasmThreads', '3');
    expect(initialThreads('', kv)).toBe(3);
    expect(initialThreads('?threads=8', kv)).toBe(8);
    expect(initialThreads('?threads=zero', kv)).toBeUndefined();
    const { lab } = makeLab({}, kv);
    expect(lab.setThreads('0')).toBe(false);
    expect(lab.threadsError).toBe('threads "0" must be a whole number from 1 to 64, or empty for every core');
    expect(store.get('ftlab.wasmThreads')).toBe('3');
    expect(lab.setThreads(' 4 ')).toBe(true);
    expect([lab.threadsSetting, lab.threadsError, store.get('ftlab.wasmThreads')]).toEqual([4, null, '4']);
    expect(lab.setThreads('')).toBe(true);
    expect([lab.threadsSetting, store.get('ftlab.wasmThreads')]).toEqual([undefined, '']);
  });

  it('formats numbers for people', () => {
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDelta(0.1234)).toBe('+0.123');
    expect(metricLabel('ndcg@10')).toBe('nDCG@10');
    expect(chorusSnippets(384)[1]!.code).toContain('"vectorDimension": 384');
  });
});
