import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLines, flags, jsonLines, runCli, runCliOk } from '../helpers/cli.ts';
import { cliFixture, products } from '../helpers/cliFixture.ts';
import { serveFolders } from '../helpers/fixtures.ts';
import { Bm25Index } from '../../src/training/eval/bm25.ts';
import { computeMetrics } from '../../src/training/eval/metrics.ts';
import { parseJudgments } from '../../src/training/data/judgments.ts';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';

let dir: string;
let model: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  ({ dir, model } = await cliFixture());
});

describe('ftlab CLI', () => {
  it('init writes a Hugging Face + sentence-transformers folder', () => {
    for (const f of [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors',
      'modules.json',
      '1_Pooling/config.json',
      'sentence_bert_config.json',
    ]) {
      expect(existsSync(path.join(model, f)), f).toBe(true);
    }
    const cfg = JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'bert', hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4 });
    const vocab = JSON.parse(readFileSync(path.join(model, 'tokenizer.json'), 'utf8')).model.vocab;
    expect(Object.keys(vocab).length).toBeLessThanOrEqual(200);
    expect(vocab).toHaveProperty('mouse');
  });

  it('embed keeps input order and normalizes, for .txt and .jsonl input', async () => {
    const txt = path.join(dir, 'q.txt');
    writeFileSync(txt, 'gaming mouse pad\nbluetooth speaker\n\nxerox toner\n');
    const jsonl = path.join(dir, 'q.jsonl');
    writeFileSync(jsonl, ['xerox toner', 'gaming mouse pad'].map((text) => JSON.stringify({ text })).join('\n'));
    const r1 = await runCli(['embed', '--model', model, '--input', txt, '--output', path.join(dir, 'e1.json')]);
    const r2 = await runCli(['embed', '--model', model, '--input', jsonl, '--output', path.join(dir, 'e2.json')]);
    expect([r1.code, r2.code]).toEqual([0, 0]);
    const e1 = JSON.parse(readFileSync(path.join(dir, 'e1.json'), 'utf8'));
    const e2 = JSON.parse(readFileSync(path.join(dir, 'e2.json'), 'utf8'));
    expect(e1.dim).toBe(32);
    expect(e1.embeddings).toHaveLength(4);
    for (const v of e1.embeddings) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(e2.embeddings[0]).toEqual(e1.embeddings[3]);
    expect(e2.embeddings[1]).toEqual(e1.embeddings[0]);
    expect(e1.embeddings[0]).not.toEqual(e1.embeddings[1]);
  });

  it('embed loads a Hub id from a (local) Hub endpoint and matches the folder', async () => {
    const hub = await serveFolders({ 'acme/tiny-bert': model });
    try {
      const txt = path.join(dir, 'hub.txt');
      writeFileSync(txt, 'gaming mouse pad\nsony speaker\n');
      const viaHub = await runCli(['embed', '--model', 'acme/tiny-bert', '--input', txt, '--output', path.join(dir, 'hub.json')], {
        env: { FTLAB_HUB_ENDPOINT: hub.endpoint },
      });
      const viaDir = await runCli(['embed', '--model', model, '--input', txt, '--output', path.join(dir, 'dir.json')]);
      expect([viaHub.code, viaDir.code]).toEqual([0, 0]);
      const a = JSON.parse(readFileSync(path.join(dir, 'hub.json'), 'utf8'));
      expect(a.model).toBe('acme/tiny-bert');
      expect(a.embeddings).toEqual(JSON.parse(readFileSync(path.join(dir, 'dir.json'), 'utf8')).embeddings);
      const missing = await runCli(['embed', '--model', 'acme/absent', '--input', txt, '--output', path.join(dir, 'x.json')], {
        env: { FTLAB_HUB_ENDPOINT: hub.endpoint },
      });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/acme\/absent.*config\.json.*(not found|404)/);
    } finally {
      await hub.close();
    }
  });

  it('train logs one JSON line per step, exports a loadable folder, and eval reports metrics', async () => {
    const out = path.join(dir, 'tuned');
    const trainFlags = flags({ steps: 4, 'batch-size': 3, lr: '1e-3', 'warmup-steps': 1, 'no-shuffle': true, dropout: 0, 'log-json': true });
    const r = await runCliOk(['train', '--model', model, '--data', file('train.jsonl'), '--loss', 'mnrl', '--output', out, ...trainFlags]);
    const steps = jsonLines(r.stdout).filter((e) => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(steps[0].lr).toBe(0); // HF's linear warmup: the first update runs at lr * 0/warmup
    for (const e of steps) expect(Number.isFinite(e.loss)).toBe(true);
    for (const f of ['onnx/model.onnx', 'model.safetensors', 'README.md', 'config.json']) expect(existsSync(path.join(out, f)), f).toBe(true);

    const ev = await runCli(['eval', ...flags({ model: out, corpus: file('corpus.jsonl'), judgments: file('judgments.csv'), json: true })]);
    expect(ev.code).toBe(0);
    const { metrics, queries } = JSON.parse(ev.stdout);
    expect(Object.keys(metrics).sort()).toEqual(['map@100', 'mrr@10', 'ndcg@10', 'recall@10', 'recall@100']);
    expect(queries).toHaveLength(3);
    // with 8 products every relevant one is in the top 10
    expect(metrics['recall@10']).toBe(1);
  });

  it('eval ranks with BM25 and a BM25 + model hybrid beside the model', async () => {
    const data = flags({ corpus: file('corpus.jsonl'), judgments: file('judgments.csv') });
    const ev = await runCliOk(['eval', '--model', model, ...data, '--baseline', 'bm25', '--hybrid', 'rrf', '--json']);
    const out = JSON.parse(ev.stdout);
    // BM25 by hand over the same texts ("{title} {supplier}") and judgments
    const texts = products.map(([, title, supplier]) => `${title} ${supplier}`);
    const index = new Bm25Index(texts);
    const judged = ['gaming mouse pad', 'bluetooth speaker', 'office'];
    const rankings = new Map(judged.map((q) => [q, Array.from(index.search(q, 100).indices, (r) => products[r]![0]!)]));
    const judgments = parseJudgments(readFileSync(file('judgments.csv'), 'utf8'), 'judgments.csv').judgments;
    expect(out.bm25.metrics).toEqual(computeMetrics(rankings, judgments).metrics);
    expect(out.hybrid).toMatchObject({ fusion: 'rrf' });
    expect(Object.keys(out.hybrid.metrics).sort()).toEqual(Object.keys(out.metrics).sort());
    expect(out.hybrid.queries).toHaveLength(3);

    const text = await runCliOk(['eval', ...data, '--baseline', 'bm25', '--hybrid', 'mix', '--hybrid-weight', '0.5', '--model', model]);
    expect(text.stdout.split('\n')[0]).toMatch(/^metric\s+bm25\s+model\s+hybrid \(mix\)$/);
    expect(text.stdout).toMatch(/^ndcg@10\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
    const alone = await runCliOk(['eval', ...data, '--baseline', 'bm25']);
    expect(alone.stdout).toMatch(new RegExp(`^ndcg@10\\s+${out.bm25.metrics['ndcg@10'].toFixed(4)}$`, 'm'));
    for (const [args, message] of [
      [['--hybrid', 'rrf'], /--hybrid fuses a model with BM25: give --model/],
      [['--baseline', 'tfidf'], /--baseline must be bm25, got "tfidf"/],
      [['--baseline', 'bm25', '--bm25-b', '2'], /--bm25-b must be between 0 and 1, got 2/],
    ] as const) {
      const r = await runCli(['eval', ...data, ...args]);
      expect(r.code).not.toBe(0);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(message)]);
    }
  });

  it('cached-mnrl trains a batch in mini-batches like mnrl (dropout off), and --mini-batch-size needs it', async () => {
    const base = flags({ model, data: file('train.jsonl'), steps: 2, 'batch-size': 6, 'no-shuffle': true, dropout: 0, lr: '1e-3', 'log-json': true });
    const losses = async (loss: string, extra: string[] = []) =>
      jsonLines((await runCliOk(['train', ...base, '--loss', loss, '--output', file(`out-${loss}`), ...extra])).stdout)
        .filter((e) => e.type === 'step')
        .map((e) => e.loss as number);
    const [plain, cached] = [await losses('mnrl'), await losses('cached-mnrl', ['--mini-batch-size', '2'])];
    expect(cached).toHaveLength(2);
    cached.forEach((l, i) => expect(Math.abs(l - plain[i]!)).toBeLessThanOrEqual(1e-5 * plain[i]!));
    const bad = await runCli(['train', ...base, '--loss', 'mnrl', '--mini-batch-size', '2', '--output', file('bad')]);
    expect(bad.code).not.toBe(0);
    expect(errorLines(bad.stderr)).toEqual(['ftlab: --mini-batch-size applies to --loss cached-mnrl or clip only']);
  });

  it('mine adds hard negatives from BM25 or the model, never a judged-relevant product, with statistics', async () => {
    const pairs = file('pairs.jsonl');
    writeFileSync(
      pairs,
      ['gaming mouse pad', 'bluetooth speaker']
        .map((q, i) => JSON.stringify({ query: q, positive: `${products[i === 0 ? 0 : 1]![1]} ${products[i === 0 ? 0 : 1]![2]}` }))
        .join('\n') + '\n',
    );
    const common = { data: pairs, corpus: file('corpus.jsonl'), judgments: file('judgments.csv'), 'num-negatives': 2 };
    await runCliOk(['mine', ...flags({ ...common, source: 'bm25', output: file('mined.jsonl'), stats: file('mined.json') })]);
    const mined = readFileSync(file('mined.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const texts = Object.fromEntries(products.map(([id, title, supplier]) => [`${title} ${supplier}`, id]));
    // BM25's best non-positive match for "gaming mouse pad" would be p5 (SteelSeries … mouse pad), judged 3: excluded
    expect(mined.filter((r) => r.query === 'gaming mouse pad').map((r) => texts[r.negative])).not.toContain('p5');
    expect(mined.filter((r) => r.query === 'bluetooth speaker').map((r) => texts[r.negative])).not.toContain('p6');
    for (const r of mined) expect(r.negative).not.toBe(r.positive);
    const { stats, examples } = JSON.parse(readFileSync(file('mined.json'), 'utf8'));
    expect(stats).toMatchObject({ queries: 2, scoredBy: 'bm25', negatives: mined.length });
    expect(stats.excluded).toBeGreaterThanOrEqual(4); // two positives and two judged-relevant products
    expect(examples[0].positive.score).toBeGreaterThan(0);

    await runCliOk(['mine', ...flags({ ...common, model, source: 'both', 'range-min': 1, output: file('mined2.jsonl') })]);
    expect(readFileSync(file('mined2.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    const bad = await runCli(['mine', ...flags({ ...common, source: 'dense', output: file('x.jsonl') })]);
    expect(errorLines(bad.stderr)).toEqual(['ftlab: --source dense mines with a bi-encoder: give --model (or --source bm25)']);
  });

  it('--load-best keeps the best --eval-every evaluation, says so in the model card, and needs --eval-every', async () => {
    const out = file('best');
    const args = flags({
      model,
      data: file('train.jsonl'),
      loss: 'mnrl',
      output: out,
      steps: 4,
      'batch-size': 3,
      lr: '5e-3',
      'eval-corpus': file('corpus.jsonl'),
      'eval-judgments': file('judgments.csv'),
    });
    const r = await runCliOk(['train', ...args, '--eval-every', '1', '--load-best', '--log-json']);
    const evals = jsonLines(r.stdout).filter((e) => e.type === 'eval');
    const best = evals.reduce((a, b) => (b.metrics['ndcg@10'] > a.metrics['ndcg@10'] ? b : a));
    const card = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain('## Checkpoint kept');
    expect(card).toMatch(new RegExp(`weights of step ${best.step}, the best ndcg@10 .*\\(${best.metrics['ndcg@10'].toFixed(4)}\\)`));
    const bad = await runCli(['train', ...args, '--load-best']);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/--load-best, --early-stopping-patience and --metric-for-best need --eval-every/)]);
  });

  it('margin-mse trains from rows with negatives and margins', async () => {
    const args = flags({ model, data: file('train.jsonl'), loss: 'margin-mse', output: file('mm'), epochs: 1, 'batch-size': 4, 'no-shuffle': true });
    const r = await runCli(['train', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^step /gm)).toHaveLength(2);
  });

  it('--matryoshka-dims trains MNRL summed over embedding prefixes, and refuses bad sizes', async () => {
    const base = [
      'train',
      ...flags({ model, data: file('train.jsonl'), loss: 'mnrl', steps: 1, 'batch-size': 4, 'no-shuffle': true, 'log-json': true }),
    ];
    const first = async (extra: string[], out: string) =>
      jsonLines((await runCliOk([...base, '--output', file(out), ...extra])).stdout).find((e) => e.type === 'step')!.loss as number;
    const plain = await first([], 'mat-plain');
    const mat = await first(['--matryoshka-dims', '32,16,8', '--matryoshka-weights', '1,1,1'], 'mat-3');
    // three MNRL terms on the same batch, the first of them the plain loss
    expect(mat).toBeGreaterThan(plain);
    const bad = await runCli([...base, '--output', file('mat-bad'), '--matryoshka-dims', '16,16']);
    expect(bad.code).not.toBe(0);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/matryoshkaDims: dims repeat a size: \[16, 16\]/)]);
  });

  it('export --wise-alpha writes the WiSE-FT ensemble of the base and the fine-tuned weights, and says so in the card; --dtypes picks the ONNX variants', async () => {
    const tuned = file('wise-tuned');
    await runCliOk(['train', ...flags({ model, data: file('train.jsonl'), loss: 'mnrl', output: tuned, steps: 2, 'batch-size': 4, lr: 1e-2 })]);
    const weights = (d: string) => readSafetensors(new Uint8Array(readFileSync(path.join(d, 'model.safetensors'))));
    await runCliOk(['export', '--model', model, '--output', file('wise-base-plain')]);
    await runCliOk(['export', '--model', tuned, '--output', file('wise-tuned-plain')]);
    await runCliOk(['export', '--model', tuned, '--output', file('wise-0'), '--wise-alpha', '0', '--wise-base', model]);
    await runCliOk(['export', '--model', tuned, '--output', file('wise-half'), '--wise-alpha', '0.5', '--wise-base', model]);
    const [b, t, w0, half] = ['wise-base-plain', 'wise-tuned-plain', 'wise-0', 'wise-half'].map((d) => weights(file(d)));
    let worst = 0;
    let moved = 0;
    for (const [name, x] of b!) {
      expect(Array.from(w0!.get(name)!.data), name).toEqual(Array.from(x.data)); // alpha 0: the base, bit for bit
      const [y, m] = [t!.get(name)!.data, half!.get(name)!.data];
      for (let i = 0; i < m.length; i++) {
        worst = Math.max(worst, Math.abs(m[i]! - (0.5 * x.data[i]! + 0.5 * y[i]!)));
        moved = Math.max(moved, Math.abs(x.data[i]! - y[i]!));
      }
    }
    expect(moved).toBeGreaterThan(1e-4); // training changed the weights, so the test can tell the models apart
    expect(worst).toBeLessThan(1e-6);
    expect(readFileSync(file('wise-half/README.md'), 'utf8')).toMatch(/WiSE-FT[\s\S]*α = 0\.5/);
    // the default --dtypes: transformers.js' q8, int8 and fp16 files beside the float32 graph; --dtypes fp32 alone
    for (const f of ['model.onnx', 'model_quantized.onnx', 'model_int8.onnx', 'model_fp16.onnx'])
      expect(existsSync(file(`wise-half/onnx/${f}`)), f).toBe(true);
    expect(existsSync(file('wise-half/onnx/model_uint8.onnx'))).toBe(false);
    await runCliOk(['export', '--model', tuned, '--output', file('fp32-only'), '--dtypes', 'fp32']);
    expect(readdirSync(file('fp32-only/onnx'))).toEqual(['model.onnx']);
    for (const [extra, message] of [
      [['--wise-alpha', '0.5'], /--wise-alpha needs --wise-base/],
      [['--wise-alpha', '2', '--wise-base', model], /--wise-alpha must be a number from 0/],
      [['--dtypes', 'fp32,q4'], /--dtypes: unknown dtype "q4"; use fp32, q8, int8, uint8, fp16/],
    ] as const) {
      const r = await runCli(['export', '--model', tuned, '--output', file('wise-bad'), ...extra]);
      expect(r.code).not.toBe(0);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(message)]);
    }
  });

  it.each([
    [['embed', '--model', 'MODEL', '--input', 'nope.txt', '--output', 'x.json'], /nope\.txt: file not found/],
    [['train', '--model', 'MODEL', '--data', 'BAD', '--loss', 'mnrl', '--output', 'o'], /bad\.jsonl:2: malformed JSON/],
    [['train', '--model', 'MODEL', '--data', 'TRAIN', '--loss', 'triplet', '--output', 'o'], /--loss must be mnrl, cached-mnrl or margin-mse/],
    [['train', '--model', 'MODEL', '--data', 'EMPTY', '--loss', 'mnrl', '--output', 'o'], /empty\.jsonl.*(empty|no rows)/],
    [['embed', '--model', './no/such/model', '--input', 'QUERIES', '--output', 'x.json'], /no\/such\/model does not exist/],
    [['embed', '--model', 'MODEL', '--input', 'TRAIN', '--output', 'x.json'], /train\.jsonl:1: field "text" is missing/],
  ])('bad input %j exits non-zero with one clear message', async (args, message) => {
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"query": "a", "positive": "b"}\n{"query": "a", "positive"\n');
    writeFileSync(path.join(dir, 'empty.jsonl'), '\n');
    writeFileSync(path.join(dir, 'queries.txt'), 'mouse pad\n');
    const subst: Record<string, string> = {
      MODEL: model,
      BAD: path.join(dir, 'bad.jsonl'),
      EMPTY: path.join(dir, 'empty.jsonl'),
      TRAIN: path.join(dir, 'train.jsonl'),
      QUERIES: path.join(dir, 'queries.txt'),
    };
    const r = await runCli(
      args.map((a) => subst[a] ?? a),
      { cwd: dir },
    );
    expect(r.code).not.toBe(0);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
