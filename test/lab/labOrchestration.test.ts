import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../src/training/data/corpus.ts';
import { parseJudgments } from '../../src/training/data/judgments.ts';
import { initModel } from '../../src/training/init/initModel.ts';
import { MemoryCheckpointStore } from '../../src/training/train/checkpoint.ts';
import { PipelineSession } from '../../src/lab/pipelineSession.ts';
import { TrainerSession, type TrainerRequest } from '../../src/lab/trainerSession.ts';
import { estimateSentenceRun as estimateRun, bertParameters } from '../../src/training/families/sentence/estimateSentence.ts';
import { loadLabData } from '../../src/lab/labData.ts';
import { Bm25Index } from '../../src/training/eval/bm25.ts';
import { zipModelFiles } from '../../src/lab/exportZip.ts';
import { unzipSync, strFromU8 } from 'fflate';
import type { DeviceLimits } from '../../src/training/families/estimate.ts';
import type { LabData, ModelShape, TrainEvent } from '../../src/lab/api/labApi.ts';
import type { ModelFiles } from '../../src/training/export/modelFiles.ts';

const chorus = path.resolve(import.meta.dirname, '../../../shared/data/chorus');
const wasm: DeviceLimits = { backend: 'wasm' };

/** A slice of the real Chorus catalogue: the products judged for the first queries that have a relevant one, plus filler. */
function chorusSlice(): LabData {
  const corpus = loadCorpus('1.json.zip', readFileSync(path.join(chorus, '1.json.zip')));
  const csv = readFileSync(path.join(chorus, 'judgments-dev.csv'), 'utf8');
  const { judgments } = parseJudgments(csv, 'judgments-dev.csv');
  const byId = new Map(corpus.products.map((p) => [p.id, p]));
  const keep = new Set<string>();
  const lines = ['query,docid,rating'];
  let queries = 0;
  for (const [q, judged] of judgments) {
    const inCorpus = [...judged].filter(([id]) => byId.has(id));
    if (!inCorpus.some(([, r]) => r >= 2)) continue;
    for (const [id, r] of inCorpus) {
      keep.add(id);
      lines.push(`"${q}",${id},${r}`);
    }
    if (++queries === 8) break;
  }
  for (const p of corpus.products.slice(0, 120)) keep.add(p.id);
  const jsonl = [...keep].map((id) => JSON.stringify({ id, ...byId.get(id)!.fields })).join('\n');
  return {
    corpus: [{ name: 'chorus-slice.jsonl', bytes: new TextEncoder().encode(jsonl) }],
    template: '{title} {supplier}',
    judgments: { name: 'judgments-slice.csv', text: lines.join('\n') },
  };
}

/** Serves in-memory model folders in Hub URL layout, recording every request. */
function fakeHub(models: Record<string, ModelFiles>) {
  const requests: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    requests.push(`${init?.method ?? 'GET'} ${url}`);
    const m = /^http:\/\/hub\.test\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(url);
    const v = m ? models[m[1]!]?.get(m[2]!) : undefined;
    if (v === undefined) return new Response('not found', { status: 404 });
    return new Response(typeof v === 'string' ? v : (v.slice().buffer as ArrayBuffer), { status: 200 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const scratch = { kind: 'scratch', hidden: 32, layers: 1, heads: 2, vocabSize: 600, maxSeqLength: 32, seed: 7 } as const;

let data: LabData;
let session: PipelineSession;
let hub: ReturnType<typeof fakeHub>;

beforeAll(async () => {
  data = chorusSlice();
  const ce = initModel({
    texts: ['usb cable', 'laptop bag', 'toner cartridge black'],
    hidden: 32,
    layers: 1,
    heads: 2,
    vocabSize: 200,
    architecture: 'BertForSequenceClassification',
    seed: 3,
  });
  const huge = new Map<string, string | Uint8Array>([
    [
      'config.json',
      JSON.stringify({
        model_type: 'bert',
        vocab_size: 250002,
        hidden_size: 1024,
        num_hidden_layers: 24,
        num_attention_heads: 16,
        intermediate_size: 4096,
      }),
    ],
  ]);
  hub = fakeHub({ 'test/ce': ce, 'test/huge': huge });
  session = new PipelineSession({ device: async () => ({ ...wasm, memoryBudgetBytes: 2 * 1024 ** 3 }), fetch: hub.fetch });
  const summary = session.setData(data);
  expect(summary.documents).toBeGreaterThan(100);
  expect(summary.judgedQueries).toBe(8);
  await session.loadModel('baseline', scratch);
});

describe('data in the pipeline worker', () => {
  it('slices the corpus to the judged products plus the first N others, parsing it once', () => {
    const full = loadLabData(data);
    const { judgments } = parseJudgments(data.judgments!.text, 'j');
    const judged = new Set([...judgments.values()].flatMap((m) => [...m.keys()]));
    const sliced = loadLabData({ ...data, sliceOthers: 5 });
    const others = full.ids.filter((id) => !judged.has(id)).slice(0, 5);
    expect(new Set(sliced.ids)).toEqual(new Set([...full.ids.filter((id) => judged.has(id)), ...others]));
    expect(sliced.summary.products).toBe(sliced.ids.length);
    expect(sliced.summary.judgedQueries).toBe(full.summary.judgedQueries);
    expect(loadLabData({ ...data, sliceOthers: 0 }).ids.every((id) => judged.has(id))).toBe(true);
  });
});

describe('prepare rows on a Chorus slice', () => {
  it('unsupervised without a cross-encoder: offline queries → GenQ rows with mined hard negatives', async () => {
    const phases = new Set<string>();
    const r = await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 60, k: 5, seed: 1 }, (p) => phases.add(p.phase));
    expect(r.loss).toBe('mnrl');
    expect(r.rows.length).toBeGreaterThan(20);
    for (const row of r.rows) {
      expect(row.query.trim()).not.toBe('');
      expect(row.negative).toBeDefined();
      expect(row.negative).not.toBe(row.positive);
    }
    expect([...phases]).toEqual(expect.arrayContaining(['queries', 'embed-corpus', 'embed-queries', 'mine', 'rows']));
    // deterministic in the seed
    const again = await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 60, k: 5, seed: 1 });
    expect(again.rows).toEqual(r.rows);
  });

  it('unsupervised GenQ with BM25 hard negatives and a relative margin equals a brute-force ranking of the whole corpus', async () => {
    const loaded = loadLabData(data);
    const bm25 = new Bm25Index(loaded.texts);
    const negatives = { source: 'bm25', rangeMax: 20, relativeMargin: 0.1 } as const;
    const r = await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 80, seed: 3, negatives });
    expect(r.loss).toBe('mnrl');
    expect(r.mining!.stats).toMatchObject({ scoredBy: 'bm25', queries: r.queries });
    expect(r.rows.length).toBe(r.queries! - r.mining!.stats.queriesWithoutNegatives);
    expect(r.rows.length).toBeGreaterThan(20);
    const { judgments } = parseJudgments(data.judgments!.text, 'j');
    const judgedRelevant = new Map([...judgments].map(([q, m]) => [q.toLowerCase(), [...m].filter(([, g]) => g >= 2).map(([id]) => id)]));
    let dropped = 0;
    let judgedQueries = 0;
    for (const row of r.rows) {
      // the negative mine_hard_negatives picks with sampling 'top': the best-scored product of the first 20 whose
      // text is not the positive's or a judged-relevant product's, and that keeps 10% below the positive's score
      const relevant = judgedRelevant.get(row.query.toLowerCase()) ?? [];
      if (relevant.length) judgedQueries++;
      const banned = new Set([row.positive, ...relevant.map((id) => loaded.texts[loaded.ids.indexOf(id)])]);
      const p = bm25.scoreText(row.query, row.positive);
      const s = bm25.scores(row.query);
      const ranked = [...s.keys()].filter((i) => s[i]! > 0 && !banned.has(loaded.texts[i]!)).sort((a, b) => s[b]! - s[a]! || a - b);
      const pick = ranked.slice(0, 20).find((i) => s[i]! <= p * 0.9);
      expect(pick).toBeDefined();
      expect(row.negative).toBe(loaded.texts[pick!]);
      if (ranked[0] !== pick) dropped++;
    }
    // the margin filtered candidates ranked above the kept one for some queries, and some generated queries are
    // judged ones whose relevant products were excluded: both rules were exercised
    expect(dropped).toBeGreaterThan(0);
    expect(judgedQueries).toBeGreaterThan(0);
    expect(r.mining!.stats.filtered.relativeMargin).toBeGreaterThan(0);
    expect(r.mining!.examples.length).toBeGreaterThan(0);
    // from the base model (dense) as well; without a model, only BM25 is possible
    const dense = await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 40, seed: 3, negatives: { source: 'both' } });
    expect(dense.mining!.stats.scoredBy).toBe('dense');
    expect(dense.rows.every((row) => row.negative !== undefined && row.negative !== row.positive)).toBe(true);
  });

  it('unsupervised GPL: margins from a cross-encoder fetched from a Hub endpoint', async () => {
    const r = await session.prepare({
      mode: 'unsupervised',
      querySource: 'offline',
      maxProducts: 20,
      crossEncoder: { kind: 'hub', id: 'test/ce', endpoint: 'http://hub.test' },
      k: 8,
      negativesPerQuery: 2,
    });
    expect(r.loss).toBe('margin-mse');
    expect(r.rows.length).toBeGreaterThan(10);
    expect(r.rows.every((row) => Number.isFinite(row.margin) && row.negative !== undefined)).toBe(true);
    expect(new Set(r.rows.map((row) => row.margin)).size).toBeGreaterThan(1);
    expect(hub.requests.some((u) => u.endsWith('/test/ce/resolve/main/model.safetensors'))).toBe(true);
  });

  it('supervised: judgments → pairs with hard negatives that are not judged relevant, split by query', async () => {
    const r = await session.prepare({ mode: 'supervised', hardNegatives: 1, rankFrom: 1, validation: 0.25, seed: 5 });
    const { judgments } = parseJudgments(data.judgments!.text, 'j');
    expect(r.loss).toBe('mnrl');
    expect(r.validationQueries!.length).toBe(2);
    expect(r.trainQueries!.length).toBe(6);
    const trainQ = new Set(r.rows.map((row) => row.query));
    for (const q of r.validationQueries!) expect(trainQ.has(q)).toBe(false);
    const textOf = new Map<string, string>();
    const loaded = loadLabData(data);
    loaded.ids.forEach((id, i) => textOf.set(loaded.texts[i]!, id));
    for (const row of r.rows) {
      const judged = judgments.get(row.query)!;
      expect(judged.get(textOf.get(row.positive)!)).toBeGreaterThanOrEqual(2);
      expect(judged.get(textOf.get(row.negative!)!) ?? 0).toBeLessThan(2);
    }
  });

  it('supervised hard negatives from BM25 or both, filtered against the positive, with the mining review', async () => {
    const { judgments } = parseJudgments(data.judgments!.text, 'j');
    const loaded = loadLabData(data);
    const idOf = new Map(loaded.texts.map((t, i) => [t, loaded.ids[i]!]));
    for (const [source, cap] of [
      ['bm25', undefined],
      ['both', 0.9],
    ] as const) {
      const r = await session.prepare({ mode: 'supervised', hardNegatives: 2, rankFrom: 1, seed: 5, negatives: { source, maxScore: cap } });
      expect(r.mining!.stats).toMatchObject({ scoredBy: source === 'bm25' ? 'bm25' : 'dense' });
      expect(r.mining!.stats.candidates).toBeGreaterThan(0);
      for (const row of r.rows) expect(judgments.get(row.query)!.get(idOf.get(row.negative!)!) ?? 0).toBeLessThan(2);
      const e = r.mining!.examples[0]!;
      expect(e.positive.score).toBeTypeOf('number');
      for (const k of e.kept) expect(k.score).toBeLessThanOrEqual(cap ?? Infinity);
      for (const f of r.mining!.examples.flatMap((x) => x.filtered)) expect([f.reason, f.score > 0.9]).toEqual(['maxScore', true]);
    }
  });

  it('evaluates and searches with the corpus embedded once per model', async () => {
    const ev = await session.evaluate({ which: 'baseline' });
    expect(Object.keys(ev.metrics)).toEqual(expect.arrayContaining(['ndcg@10', 'mrr@10', 'recall@10', 'map@100']));
    expect(ev.queries.length).toBe(8);
    const q = [...parseJudgments(data.judgments!.text, 'j').judgments.keys()][0]!;
    const hits = await session.search(q, 5, 'baseline');
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[4]!.score);
    const judged = parseJudgments(data.judgments!.text, 'j').judgments.get(q)!;
    for (const h of await session.search(q, 200, 'baseline')) expect(h.rating).toBe(judged.get(h.id));
    expect(hits[0]!.fields.title).toBeTypeOf('string');
  });
});

describe('training pause / resume', () => {
  it('a run paused by its AbortSignal and resumed from the checkpoint store ends with the uninterrupted weights', async () => {
    const rows = (await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 48, k: 5, seed: 2 })).rows.slice(0, 40);
    const model = session.resolve(scratch);
    const req: TrainerRequest = { model, rows, config: { loss: 'mnrl', batchSize: 8, epochs: 2, lr: 1e-3, seed: 11 }, checkpointEverySteps: 3 };
    const trainerFor = (store: MemoryCheckpointStore) => new TrainerSession({ device: async () => wasm, checkpointStore: () => store });

    const full = await trainerFor(new MemoryCheckpointStore()).train('a', req);
    expect(full.status).toBe('done');
    expect(full.step).toBe(10);

    const store = new MemoryCheckpointStore();
    const ac = new AbortController();
    const events: TrainEvent[] = [];
    const first = await trainerFor(store).train(
      'b',
      req,
      (e) => {
        events.push(e);
        if (e.type === 'step' && e.step === 4) ac.abort();
      },
      ac.signal,
    );
    expect(first.status).toBe('paused');
    expect(first.step).toBe(4);
    expect(events.some((e) => e.type === 'checkpoint' && e.step === 4)).toBe(true);

    const resumedEvents: TrainEvent[] = [];
    const second = await trainerFor(store).train('b', req, (e) => resumedEvents.push(e));
    expect(resumedEvents.filter((e) => e.type !== 'progress')[0]).toEqual({ type: 'resumed', step: 4, totalSteps: 10 });
    expect(second).toMatchObject({ status: 'done', step: 10, resumedFrom: 4 });
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
    expect(Buffer.from(second.weights).equals(Buffer.from(full.weights))).toBe(true);
  });

  it('exports the tuned model as a zip (rebuilt from the checkpoint when not in memory)', async () => {
    const rows = (await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 16, k: 3, seed: 2 })).rows.slice(0, 8);
    const store = new MemoryCheckpointStore();
    const req: TrainerRequest = { model: session.resolve(scratch), rows, config: { loss: 'mnrl', batchSize: 4, steps: 2, seed: 1 } };
    const t1 = new TrainerSession({ device: async () => wasm, checkpointStore: () => store });
    const out = await t1.train('r', req);
    const fresh = new TrainerSession({ device: async () => wasm, checkpointStore: () => store });
    const zip = unzipSync(await fresh.exportZip('r', req, { name: 'my-model' }));
    expect(Object.keys(zip)).toEqual(
      expect.arrayContaining([
        'my-model/config.json',
        'my-model/model.safetensors',
        'my-model/onnx/model.onnx',
        'my-model/modules.json',
        'my-model/README.md',
      ]),
    );
    expect(Buffer.from(zip['my-model/model.safetensors']!).equals(Buffer.from(out.weights))).toBe(true);
    expect(strFromU8(zip['my-model/README.md']!)).toContain('mnrl');
    t1.dispose();
    fresh.dispose();
  });
});

describe('estimate and refusal', () => {
  const miniLM: ModelShape = { hidden: 384, layers: 6, heads: 12, intermediate: 1536, vocabSize: 30522, maxSeqLength: 256 };
  const limits = { backend: 'webgpu' as const, maxBufferSize: 256 * 1024 ** 2, maxStorageBufferBindingSize: 128 * 1024 ** 2 };

  it('counts BERT parameters like transformers (MiniLM-L6: 22.7M)', () => {
    expect(Math.round(bertParameters(miniLM) / 1e5) / 10).toBe(22.7);
  });

  it('a MiniLM-shaped model fits WebGPU with time growing with the batch', () => {
    const a = estimateRun({ model: miniLM, batchSize: 16, rows: 1600 }, limits);
    const b = estimateRun({ model: miniLM, batchSize: 32, rows: 1600 }, limits);
    expect(a.fits).toBe(true);
    expect(a.totalSteps).toBe(100);
    expect(b.secondsPerStep).toBeGreaterThan(a.secondsPerStep);
    expect(b.trainingBytes).toBeGreaterThan(a.trainingBytes);
    expect(a.trainingBytes).toBeGreaterThan(16 * a.parameters);
  });

  it('with GradCache, a batch plain training cannot hold fits, at the largest mini-batch that does', () => {
    const budget = { backend: 'wasm' as const, memoryBudgetBytes: 2 * 1024 ** 3 };
    const plain = estimateRun({ model: miniLM, batchSize: 256, rows: 25600, textsPerRow: 2 }, budget);
    const cached = estimateRun({ model: miniLM, batchSize: 256, rows: 25600, textsPerRow: 2, gradCache: true }, budget);
    expect(plain.fits).toBe(false);
    expect(cached).toMatchObject({ fits: true, totalSteps: 100 });
    expect(cached.miniBatchSize).toBeGreaterThanOrEqual(8);
    expect(cached.miniBatchSize).toBeLessThanOrEqual(64);
    expect(cached.reason).toMatch(new RegExp(`batch 256 in mini-batches of ${cached.miniBatchSize}`));
    // one extra forward per mini-batch: more compute than the plain step of the same batch
    expect(cached.secondsPerStep).toBeGreaterThan(plain.secondsPerStep);
    const small = estimateRun({ model: miniLM, batchSize: 4, rows: 40, gradCache: true }, limits);
    expect(small.miniBatchSize).toBe(4);
  });

  it('refuses a model whose embedding table exceeds the WebGPU binding limit, naming it', () => {
    const xlmLarge: ModelShape = { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, vocabSize: 250002, maxSeqLength: 512 };
    const e = estimateRun({ model: xlmLarge, batchSize: 16, rows: 100 }, limits);
    expect(e.fits).toBe(false);
    expect(e.reason).toMatch(/word-embedding table.*maxStorageBufferBindingSize/);
  });

  it('refuses a model over the memory budget', () => {
    const e = estimateRun({ model: miniLM, batchSize: 16, rows: 100 }, { backend: 'wasm', memoryBudgetBytes: 200 * 1024 ** 2 });
    expect(e.fits).toBe(false);
    expect(e.reason).toMatch(/budget is 200 MiB/);
  });

  it('loadModel refuses a too-large Hub model from config.json alone, before downloading weights', async () => {
    const before = hub.requests.length;
    await expect(session.loadModel('tuned', { kind: 'hub', id: 'test/huge', endpoint: 'http://hub.test' })).rejects.toMatchObject({
      name: 'ModelTooLargeError',
    });
    const asked = hub.requests.slice(before);
    expect(asked.some((u) => u.includes('/test/huge/resolve/main/config.json'))).toBe(true);
    expect(asked.some((u) => u.includes('model.safetensors'))).toBe(false);
  });

  it('zips files with empty module folders kept', () => {
    const zip = unzipSync(
      zipModelFiles(
        new Map<string, string | Uint8Array>([
          ['modules.json', JSON.stringify([{ path: '' }, { path: '2_Normalize' }])],
          ['a.txt', 'x'],
        ]),
      ),
    );
    expect(Object.keys(zip).sort()).toEqual(['2_Normalize/', 'a.txt', 'modules.json']);
  });
});

describe('evaluation every N steps (TrainRequest.evalEverySteps)', () => {
  const trainer = (store = new MemoryCheckpointStore()) => new TrainerSession({ device: async () => wasm, checkpointStore: () => store });
  const evalsOf = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'eval' ? [e] : []));
  let rows: TrainerRequest['rows'];
  beforeAll(async () => {
    rows = (await session.prepare({ mode: 'unsupervised', querySource: 'offline', maxProducts: 48, k: 5, seed: 2 })).rows.slice(0, 40);
  });
  const request = (steps: number, evalEverySteps?: number): TrainerRequest => ({
    model: session.resolve(scratch),
    rows,
    config: { loss: 'mnrl', batchSize: 8, steps, lr: 1e-3, seed: 11 },
    checkpointEverySteps: 0,
    ...(evalEverySteps && { evalEverySteps, evalSet: session.evalSet() }),
  });

  it('emits eval events at the scheduled steps, equal to the pipeline evaluating those weights, and leaves training unchanged', async () => {
    const plain = await trainer().train('plain', request(4));
    const events: TrainEvent[] = [];
    const out = await trainer().train('evals', request(4, 2), (e) => events.push(e));
    expect(evalsOf(events).map((e) => e.step)).toEqual([2, 4]);
    expect(events.some((e) => e.type === 'progress' && e.progress.phase === 'evaluate' && e.progress.detail === 'step 2: embedding the corpus')).toBe(
      true,
    );
    expect(Buffer.from(out.weights).equals(Buffer.from(plain.weights))).toBe(true);
    // the step-4 point is the run's final weights: the pipeline's own evaluation of them must agree
    await session.setTuned(out.weights, 'evals', session.resolve(scratch));
    const tuned = await session.evaluate({ which: 'tuned' });
    const atFour = evalsOf(events)[1]!.metrics;
    expect(Object.keys(atFour).sort()).toEqual(Object.keys(tuned.metrics).sort());
    for (const [k, v] of Object.entries(tuned.metrics)) expect(atFour[k]).toBeCloseTo(v, 5);
    // the base model scores differently: the points do follow the weights
    const before = evalsOf(events)[0]!.metrics;
    expect(Object.keys(before).some((k) => Math.abs(before[k]! - atFour[k]!) > 1e-6)).toBe(true);
  });

  it('skips the unscheduled last step, and Pause during an evaluation drops it and still checkpoints', async () => {
    const store = new MemoryCheckpointStore();
    const ac = new AbortController();
    const events: TrainEvent[] = [];
    const first = await trainer(store).train(
      'pause',
      request(5, 2),
      (e) => {
        events.push(e);
        if (e.type === 'progress' && e.progress.phase === 'evaluate') ac.abort();
      },
      ac.signal,
    );
    expect(first).toMatchObject({ status: 'paused', step: 2 });
    expect(evalsOf(events)).toEqual([]);
    expect(events.some((e) => e.type === 'checkpoint' && e.step === 2)).toBe(true);

    const resumed: TrainEvent[] = [];
    const second = await trainer(store).train('pause', request(5, 2), (e) => resumed.push(e));
    expect(second).toMatchObject({ status: 'done', step: 5, resumedFrom: 2 });
    expect(evalsOf(resumed).map((e) => e.step)).toEqual([4]);
    const plain = await trainer().train('plain5', request(5));
    expect(Buffer.from(second.weights).equals(Buffer.from(plain.weights))).toBe(true);
  });

  it('refuses a request that asks for evaluation without evaluation data', async () => {
    await expect(trainer().train('x', { ...request(2), evalEverySteps: 1 })).rejects.toThrow(
      /evalEverySteps is 1 but the request has no evaluation data/,
    );
  });
});
