import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../src/training/data/corpus.ts';
import { parseJudgments } from '../../src/training/data/judgments.ts';
import { parseTrainRows } from '../../src/training/data/trainRows.ts';
import { validateRowsForLoss } from '../../src/training/losses/registry.ts';
import { parseQueries } from '../../src/training/data/queries.ts';
import { loadCrossEncoder } from '../../src/training/models/crossEncoder.ts';
import { folderSource } from '../../src/cli/folderSource.ts';
import { loadCorpusInput } from '../../src/cli/pipeline/corpusInput.ts';
import { prepareSupervised } from '../../src/cli/pipeline/supervisedStep.ts';
import { labelRows, mineQueries, obtainQueries } from '../../src/cli/pipeline/gplSteps.ts';
import { loadSentenceEncoder } from '../../src/training/families/registry.ts';
import { makeTinyModel } from '../helpers/fixtures.ts';
import { makeTinyCrossEncoder } from '../helpers/crossEncoderFixture.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

const chorus = path.resolve(import.meta.dirname, '../../../shared/data/chorus');
const dir = tempDir('ftlab-gpl-');
const corpusFile = path.join(dir, 'products.jsonl');
const judgmentsFile = path.join(dir, 'judgments.csv');
let model: string;
let crossEncoder: string;

/** 300 real Chorus products (judged ones first, so evaluation has relevant products) and their judgments. */
function writeSlice() {
  const { products } = loadCorpus('1.json.zip', new Uint8Array(readFileSync(path.join(chorus, '1.json.zip'))));
  const lines = readFileSync(path.join(chorus, 'judgments-dev.csv'), 'utf8').trim().split('\n');
  const { judgments } = parseJudgments(lines.join('\n'), 'judgments-dev.csv');
  const byId = new Map(products.map((p) => [p.id, p]));
  const judged = [...new Set([...judgments.values()].flatMap((m) => [...m.keys()]))].filter((id) => byId.has(id));
  const ids = [...new Set([...judged.slice(0, 150), ...products.map((p) => p.id)])].slice(0, 300);
  const keep = new Set(ids);
  writeFileSync(corpusFile, ids.map((id) => JSON.stringify(byId.get(id)!.fields)).join('\n') + '\n');
  const rows = [...judgments].flatMap(([q, m]) => [...m].filter(([id]) => keep.has(id)).map(([id, r]) => `${q},${id},${r}`));
  writeFileSync(judgmentsFile, ['query,docid,rating', ...rows].join('\n') + '\n');
}

beforeAll(async () => {
  writeSlice();
  model = await makeTinyModel();
  crossEncoder = await makeTinyCrossEncoder();
});

describe('ftlab gpl on a Chorus slice', () => {
  const work = path.join(dir, 'work');
  const out = path.join(dir, 'model');
  const args = () => [
    'gpl',
    '--model',
    model,
    '--corpus',
    corpusFile,
    '--generate',
    'offline',
    '--per-product',
    '1',
    '--cross-encoder',
    crossEncoder,
    '--negatives-per-query',
    '2',
    '--k',
    '20',
    '--judgments',
    judgmentsFile,
    '--work-dir',
    work,
    '--output',
    out,
    '--steps',
    '3',
    '--batch-size',
    '8',
  ];

  it('runs queries → mine → label → train → eval → export, with margins equal to cross-encoder differences', async () => {
    const r = await runCli(args());
    expect(r.stderr).not.toMatch(/ftlab:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^before: ndcg@10 \d\.\d{4} mrr@10/m);
    expect(r.stdout).toMatch(/^after: +ndcg@10 \d\.\d{4} mrr@10/m);
    for (const s of ['queries', 'mine', 'label', 'eval before', 'train', 'eval after', 'export'])
      expect(r.stderr).toMatch(new RegExp(`step \\d/7 ${s}.*: running`));
    expect(r.stderr).toMatch(/label: cross-encoder pairs: \d+\/\d+ \([\d.]+\/s\)( ETA)?/);
    expect(existsSync(path.join(out, 'onnx/model.onnx'))).toBe(true);
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/MarginMSELoss/);

    const queries = parseQueries('q.jsonl', readFileSync(path.join(work, 'queries.jsonl'), 'utf8')).queries;
    const rows = parseTrainRows(readFileSync(path.join(work, 'rows.jsonl'), 'utf8'), 'rows.jsonl');
    validateRowsForLoss(rows, 'margin-mse');
    expect(new Set(rows.map((x) => x.query))).toEqual(new Set(queries.map((q) => q.text)));
    const corpus = await loadCorpusInput([corpusFile], '{title} {supplier}');
    for (const x of rows) expect(x.negative).not.toBe(x.positive);
    // every row's positive is the text of a product the query was generated from
    const sources = new Map<string, Set<string>>();
    for (const q of queries) sources.set(q.text, new Set([...(sources.get(q.text) ?? []), corpus.texts[corpus.rowOf.get(q.sourceDocId!)!]!]));
    for (const x of rows) expect(sources.get(x.query)!.has(x.positive)).toBe(true);

    const ce = await loadCrossEncoder(folderSource(crossEncoder));
    try {
      const sample = rows.filter((_, i) => i % 7 === 0);
      const s = await ce.score(
        sample.flatMap(
          (x) =>
            [
              [x.query, x.positive],
              [x.query, x.negative!],
            ] as [string, string][],
        ),
        { batchSize: 16 },
      );
      sample.forEach((x, i) => expect(Math.abs(x.margin! - (s[2 * i]! - s[2 * i + 1]!))).toBeLessThan(1e-5));
    } finally {
      ce.dispose();
    }
  }, 120_000);

  it('skips every finished step on a re-run', async () => {
    const r = await runCli(args());
    expect(r.code).toBe(0);
    for (const s of ['queries', 'mine', 'label', 'eval before', 'train', 'eval after', 'export'])
      expect(r.stderr).toMatch(new RegExp(`step \\d/7 ${s}.*: skipped`));
    expect(r.stderr).not.toMatch(/running/);
    expect(r.stdout).toMatch(/^before: ndcg@10/m);
  }, 60_000);
});

describe('ftlab prepare', () => {
  it('gpl without a cross-encoder writes GenQ rows with mined hard negatives (in-process steps)', async () => {
    const corpus = await loadCorpusInput([corpusFile], '{title} {supplier}');
    const queries = await obtainQueries({ generate: 'offline' }, corpus, 1, 1);
    const encoder = await loadSentenceEncoder(folderSource(model));
    const mined = await mineQueries(encoder, queries, corpus, { k: 10, rankFrom: 2 }).finally(() => encoder.dispose());
    for (const m of mined) {
      expect(m.candidates).toHaveLength(9);
      expect(Array.from(m.candidates)).not.toContain(m.source);
    }
    const { rows, loss } = await labelRows(mined, corpus, { seed: 1 });
    expect(loss).toBe('mnrl');
    validateRowsForLoss(rows, 'mnrl');
    expect(rows).toHaveLength(mined.length);
    expect(rows.every((x) => x.negative !== undefined && x.negative !== x.positive)).toBe(true);
    // --negatives-per-query 0: plain (query, source) pairs, no search at all
    const bare = await mineQueries(undefined as never, queries, corpus, { searchless: true });
    expect(bare.every((m) => m.candidates.length === 0 && m.source !== undefined)).toBe(true);
    const plain = await labelRows(bare, corpus, { seed: 1, negativesPerQuery: 0 });
    expect(plain.rows.every((x) => x.negative === undefined)).toBe(true);
    await expect(labelRows(bare, corpus, { seed: 1, negativesPerQuery: 0, crossEncoder: crossEncoder })).rejects.toThrow(/--negatives-per-query 0/);
  }, 60_000);

  it('supervised: pairs with hard negatives, split by query with no leakage, held-out judgments for eval', async () => {
    const outDir = path.join(dir, 'sup');
    const r = await runCli([
      'prepare',
      'supervised',
      '--model',
      model,
      '--corpus',
      corpusFile,
      '--judgments',
      judgmentsFile,
      '--hard-negatives',
      '2',
      '--validation',
      '0.25',
      '--output',
      outDir,
    ]);
    expect(r.code).toBe(0);
    const train = parseTrainRows(readFileSync(path.join(outDir, 'train.jsonl'), 'utf8'), 'train');
    const val = parseTrainRows(readFileSync(path.join(outDir, 'validation.jsonl'), 'utf8'), 'val');
    validateRowsForLoss(train, 'mnrl');
    const trainQ = new Set(train.map((x) => x.query));
    const valQ = new Set(val.map((x) => x.query));
    expect([...valQ].filter((q) => trainQ.has(q))).toEqual([]);
    expect(valQ.size).toBeGreaterThan(0);
    const held = parseJudgments(readFileSync(path.join(outDir, 'validation-judgments.csv'), 'utf8'), 'held');
    expect(new Set(held.judgments.keys())).toEqual(valQ);
    const all = parseJudgments(readFileSync(judgmentsFile, 'utf8'), 'all').judgments;
    for (const x of [...train, ...val]) expect(x.negative).not.toBe(x.positive);
    // positives are judged >= 2, negatives are never judged relevant for the query
    const corpus = await loadCorpusInput([corpusFile], '{title} {supplier}');
    const text = (id: string) => corpus.texts[corpus.rowOf.get(id)!];
    for (const x of train) {
      const judged = [...all.get(x.query)!];
      expect(judged.some(([id, rating]) => rating >= 2 && text(id) === x.positive)).toBe(true);
      expect(judged.some(([id, rating]) => rating >= 2 && text(id) === x.negative)).toBe(false);
    }
  }, 60_000);

  it('bad inputs: wrong CSV header, judgments from another corpus, empty corpus', async () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'query,product,score\nlaptop,1,2\n');
    const corpus = await loadCorpusInput([corpusFile], '{title} {supplier}');
    const settings = {
      judgments: bad,
      threshold: 2,
      hardNegatives: 0,
      rankFrom: 1,
      validation: 0.2,
      seed: 1,
      batchSize: 8,
      output: path.join(dir, 'x'),
    };
    await expect(prepareSupervised(corpus, settings)).rejects.toThrow(/bad\.csv: line 1: .*missing docid, rating/);
    writeFileSync(bad, 'query,docid,rating\nlaptop,nope-1,3\nlaptop,nope-2,0\n');
    await expect(prepareSupervised(corpus, settings)).rejects.toThrow(/none of the 2 judged docids is in the corpus \(line 2: nope-1 \("laptop"\)/);
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    await expect(loadCorpusInput([empty], '{title}')).rejects.toThrow(/empty\.jsonl: the corpus is empty/);
  });
});
