import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLines, flags, runCli, runCliOk } from '../helpers/cli.ts';
import { cliFixture, type CliFixture } from '../helpers/cliFixture.ts';
import type { VariantRow } from '../../src/training/eval/variantTable.ts';

/**
 * Choosing what to ship from the CLI: a Matryoshka-trained model exported at a truncated dimension (config,
 * Solr vectors and Chorus field follow it), its metrics per dimension, and the trade-off table over WiSE-FT α ×
 * dtype × dimension, whose rows reproduce the plain evaluations of the models they stand for.
 */
let fx: CliFixture;
let tuned: string;
let data: string[];

const evalJson = async (args: string[]) => JSON.parse((await runCliOk(['eval', ...data, '--json', ...args])).stdout);

beforeAll(async () => {
  fx = await cliFixture('ftlab-ship-');
  tuned = fx.file('tuned');
  data = flags({ corpus: fx.file('corpus.jsonl'), judgments: fx.file('judgments.csv') });
  const train = { model: fx.model, data: fx.file('train.jsonl'), loss: 'mnrl', output: tuned, steps: 3, 'batch-size': 3, lr: 1e-2, dropout: 0 };
  await runCliOk(['train', ...flags(train), '--matryoshka-dims', '32,16,8']);
});

describe('shipping variants from the CLI', () => {
  it('export --truncate-dim: truncate_dim, 16-d Solr vectors and Chorus field; eval --dims 16 of the full model equals eval of the export', async () => {
    const cut = fx.file('cut16');
    await runCliOk(['export', '--model', tuned, '--output', cut, '--truncate-dim', '16', '--dtypes', 'fp32']);
    expect(JSON.parse(readFileSync(path.join(cut, 'config_sentence_transformers.json'), 'utf8')).truncate_dim).toBe(16);
    const chorus = await runCliOk(['chorus-config', '--model', cut]);
    expect(chorus.stdout).toMatch(/"vectorDimension": ?"?16"?/);
    const vectors = fx.file('docs.json');
    await runCliOk(['vectors', '--model', cut, '--corpus', fx.file('corpus.jsonl'), '--output', vectors, '--engine', 'onnx']);
    const docs = JSON.parse(readFileSync(vectors, 'utf8'));
    const field = docs[0].finetuned_product_vector as number[];
    expect(field).toHaveLength(16);
    expect(Math.hypot(...field)).toBeCloseTo(1, 5);
    // the int8 variant (made in memory: this export has fp32 only) gives 16-d vectors close to, not equal to, fp32's
    await runCliOk(['vectors', '--model', cut, '--corpus', fx.file('corpus.jsonl'), '--output', vectors, '--engine', 'onnx', '--dtype', 'int8']);
    const int8 = JSON.parse(readFileSync(vectors, 'utf8'))[0].finetuned_product_vector as number[];
    const cos = int8.reduce((a, v, i) => a + v * field[i]!, 0);
    expect(cos).toBeGreaterThan(0.95);
    expect(cos).toBeLessThan(1 - 1e-7);

    const byDim = (await evalJson(['--model', tuned, '--dims', '32,16'])).dims;
    expect(byDim.map((d: { dim: number }) => d.dim)).toEqual([32, 16]);
    expect(byDim[0].metrics).toEqual((await evalJson(['--model', tuned])).metrics);
    const exported = (await evalJson(['--model', cut])).metrics;
    for (const [name, v] of Object.entries(exported)) expect(byDim[1].metrics[name], name).toBeCloseTo(v as number, 6);
  });

  it('eval --variants: α × dtype × dim rows; α 0 is the base, α 1 the tuned model, fp32 its own reference', async () => {
    const args = ['--model', tuned, '--variants', '--wise-base', fx.model, '--wise-alphas', '0,1', '--dtypes', 'fp32,int8', '--dims', '8,32'];
    const table = await evalJson(args);
    expect((table.rows as VariantRow[]).map((r) => `${r.alpha} ${r.dtype} ${r.dim}`)).toEqual([
      '0 fp32 32',
      '0 fp32 8',
      '0 int8 32',
      '0 int8 8',
      '1 fp32 32',
      '1 fp32 8',
      '1 int8 32',
      '1 int8 8',
    ]);
    const rows = table.rows as VariantRow[];
    const row = (alpha: number, dtype: string, dim: number) => rows.find((r) => r.alpha === alpha && r.dtype === dtype && r.dim === dim)!;
    const [base, tunedMetrics] = [(await evalJson(['--model', fx.model])).metrics, (await evalJson(['--model', tuned])).metrics];
    for (const [name, v] of Object.entries(base)) expect(row(0, 'fp32', 32).metrics[name], name).toBeCloseTo(v as number, 6);
    for (const [name, v] of Object.entries(tunedMetrics)) expect(row(1, 'fp32', 32).metrics[name], name).toBeCloseTo(v as number, 6);
    expect(row(1, 'fp32', 8).meanCosine).toBeCloseTo(1, 6);
    const int8 = row(1, 'int8', 32);
    expect(int8.minCosine).toBeGreaterThan(0.95);
    expect(int8.minCosine).toBeLessThan(1 - 1e-7);
    expect(int8.modelBytes).toBeLessThan(0.6 * row(1, 'fp32', 32).modelBytes);
    expect([row(1, 'int8', 32).vectorBytes, row(1, 'int8', 8).vectorBytes]).toEqual([128, 32]);
    expect(int8.textsPerSec).toBeGreaterThan(0);

    const text = await runCliOk(['eval', ...data, '--model', tuned, '--variants', '--dtypes', 'fp32', '--dims', '16']);
    expect(text.stdout.split('\n')[0]).toMatch(/^alpha\s+dtype\s+dim\s+ndcg@10\s+recall@100\s+vector B\s+model MB\s+texts\/s\s+cos mean\s+cos min$/);
    for (const [extra, message] of [
      [['--model', tuned, '--variants', '--wise-alphas', '0.5'], /--wise-alphas other than 1 need --wise-base/],
      [['--model', tuned, '--dims', '64'], /--dims: 64 is not an integer from 1 to the model's width 32/],
      [['--model', tuned, '--dims', '16', '--baseline', 'bm25'], /--dims and --variants evaluate a text model alone/],
      [['--model', tuned, '--variants', '--dtypes', 'q4'], /--dtypes: unknown dtype "q4"/],
    ] as const) {
      const r = await runCli(['eval', ...data, ...extra]);
      expect(r.code, extra.join(' ')).not.toBe(0);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(message)]);
    }
    const r = await runCli(['export', '--model', tuned, '--output', fx.file('bad'), '--truncate-dim', '40']);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/--truncate-dim must be an integer from 1 to the model's hidden size 32, got 40/)]);
  });
});
