import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import type { Page } from 'playwright-core';
import { repoRoot } from '../helpers/browserServer.ts';
import { downloadZip, loadFiles, openSnippet, startLabFlow, waitForResults, type LabFlow } from '../helpers/appServer.ts';
import { makeTinyModel } from '../helpers/fixtures.ts';
import { makeTinyCrossEncoder } from '../helpers/crossEncoderFixture.ts';
import { maxAbsDiff, runReference, tokenBatch } from '../helpers/reference.ts';
import { runCliOk } from '../helpers/cli.ts';

/**
 * The kata walkthrough in headless Chromium, end to end, with tiny fixture models served in Hub URL layout
 * (`?hub=`) and a small slice of the Chorus catalogue: unsupervised (GPL with a cross-encoder) and
 * supervised flows each to a downloaded zip loaded with onnxruntime-node, the search playground, and a
 * malformed upload. Screenshots of every step go to test-results/screenshots/.
 */

const queries = ['gaming mouse pad', 'microsoft office', 'laptop'];

let flow: LabFlow;
let dir: string;
let corpusPath: string;
let judgmentsPath: string;

/** Judged products for a few queries plus some others, from the bundled Chorus zips. */
async function writeSlice(): Promise<void> {
  const csv = await readFile(path.join(repoRoot, 'public/data/chorus/judgments-dev.csv'), 'utf8');
  const lines = csv.trim().split('\n');
  const kept = lines.slice(1).filter((l) => queries.includes(l.split(',')[0]!));
  const judged = new Set(kept.map((l) => l.split(',')[1]!));
  const products: Record<string, unknown>[] = [];
  let others = 0;
  for (const n of [1, 2, 3, 4]) {
    const zip = unzipSync(new Uint8Array(await readFile(path.join(repoRoot, `public/data/chorus/${n}.json.zip`))));
    for (const p of JSON.parse(new TextDecoder().decode(Object.values(zip)[0]!)) as Record<string, unknown>[]) {
      if (judged.has(String(p.id)) || (others < 40 && ++others)) products.push(p);
    }
  }
  corpusPath = path.join(dir, 'chorus-slice.json');
  judgmentsPath = path.join(dir, 'judgments-slice.csv');
  await writeFile(corpusPath, JSON.stringify(products));
  await writeFile(judgmentsPath, [lines[0], ...kept].join('\n') + '\n');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-flows-'));
  const [bi, ce] = await Promise.all([makeTinyModel(), makeTinyCrossEncoder()]);
  // the tiny model also answers for the curated id, so the default picker works offline
  await writeSlice();
  flow = await startLabFlow('', { 'fixtures/tiny-bi': bi, 'fixtures/tiny-ce': ce, 'sentence-transformers/all-MiniLM-L6-v2': bi });
}, 180_000);

afterAll(() => flow?.close());

const openLab = () => flow.open();
const shot = (page: Page, name: string) => flow.shot(page, name);

async function loadSlice(page: Page, prefix: string) {
  await loadFiles(page, { corpus: corpusPath, judgments: judgmentsPath });
  await shot(page, `${prefix}-1-data`);
  await page.getByRole('button', { name: /Continue to Configure/ }).click();
}

async function trainAndCheck(page: Page, prefix: string, onTrained?: () => Promise<void>) {
  await page.getByRole('button', { name: /Start fine-tuning/ }).click();
  await page.getByRole('heading', { name: /Step 3 Train/ }).waitFor();
  await waitForResults(page, () => shot(page, `${prefix}-3-train`), { onTrained });
  await page.getByRole('heading', { name: 'Before vs after' }).waitFor();
  // step 4's "Why" speaks of the text model's integration
  expect(await page.getByRole('complementary', { name: 'Why this step' }).textContent()).toContain('/ftbert/text/');
  await shot(page, `${prefix}-4-evaluate`);
}

async function downloadAndRunOnnx(page: Page, prefix: string): Promise<string[]> {
  const files = await downloadZip(page, path.join(dir, `${prefix}.zip`));
  const names = Object.keys(files);
  const onnxName = names.find((n) => n.endsWith('onnx/model.onnx'))!;
  expect(onnxName).toBeTruthy();
  const session = await ort.InferenceSession.create(files[onnxName]!);
  const ids = [2n, 10n, 11n, 3n];
  const t = (v: bigint[]) => new ort.Tensor('int64', BigInt64Array.from(v), [1, v.length]);
  const out = await session.run({ input_ids: t(ids), attention_mask: t([1n, 1n, 1n, 1n]), token_type_ids: t([0n, 0n, 0n, 0n]) });
  expect(out.sentence_embedding!.dims).toEqual([1, 32]);
  expect([...(out.sentence_embedding!.data as Float32Array)].every(Number.isFinite)).toBe(true);
  // the zip's model.safetensors + config.json in the independent float64 numpy BertModel (test/reference/)
  // give the same hidden states as the zip's ONNX: the two files carry the same trained weights
  const root = onnxName.slice(0, -'onnx/model.onnx'.length);
  const exportDir = path.join(dir, `${prefix}-export`);
  await mkdir(exportDir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) await writeFile(path.join(exportDir, f), files[root + f]!);
  const ref = runReference({ model_dir: exportDir, batches: [tokenBatch([ids.map(Number)])] });
  expect(maxAbsDiff(ref.results[0]!.last_hidden_state.flat(2), out.last_hidden_state!.data as Float32Array)).toBeLessThan(1e-5);
  return names;
}

/**
 * The lab evaluated through onnxruntime-web over a graph of its in-memory weights; `ftlab eval` on the downloaded
 * folder (onnxruntime-node) must show the same fine-tuned metrics, to the digits the table shows, and the same
 * BM25 and hybrid (RRF) columns as `--baseline bm25 --hybrid rrf`.
 */
async function sameMetricsAsCli(page: Page, prefix: string): Promise<void> {
  const files = await downloadZip(page, path.join(dir, `${prefix}-eval.zip`));
  const folder = path.join(dir, `${prefix}-model`);
  const root = Object.keys(files)
    .find((n) => n.endsWith('config.json') && !n.includes('/1_Pooling/'))!
    .slice(0, -'config.json'.length);
  for (const [name, bytes] of Object.entries(files)) {
    const rel = name.slice(root.length);
    if (!name.startsWith(root) || !rel || name.endsWith('/')) continue;
    await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    await writeFile(path.join(folder, rel), bytes);
  }
  const cli = await runCliOk([
    'eval',
    '--model',
    folder,
    '--corpus',
    corpusPath,
    '--judgments',
    judgmentsPath,
    '--baseline',
    'bm25',
    '--hybrid',
    'rrf',
    '--json',
  ]);
  type Metrics = { metrics: Record<string, number> };
  const out = JSON.parse(cli.stdout) as Metrics & { bm25: Metrics; hybrid: Metrics };
  await expect.poll(() => page.getByTestId('hybrid-ndcg@10').textContent(), { timeout: 60_000 }).toMatch(/^\d\.\d{3}$/);
  const rows = page.locator('table.metrics tbody tr');
  // columns: BM25, base, fine-tuned, change, hybrid
  const column = async (n: number) =>
    Object.fromEntries(
      await Promise.all(
        (await rows.all()).map(async (r) => [await r.locator('th').textContent(), await r.locator('td').nth(n).textContent()] as const),
      ),
    );
  const label = (k: string) =>
    k
      .replace(/^ndcg/, 'nDCG')
      .replace(/^mrr/, 'MRR')
      .replace(/^recall/, 'Recall')
      .replace(/^map/, 'MAP');
  for (const [n, metrics] of [
    [0, out.bm25.metrics],
    [2, out.metrics],
    [4, out.hybrid.metrics],
  ] as const) {
    const shown = await column(n);
    expect(Object.keys(shown).length).toBeGreaterThanOrEqual(4);
    for (const [k, v] of Object.entries(metrics)) if (shown[label(k)] !== undefined) expect(shown[label(k)], `column ${n} ${k}`).toBe(v.toFixed(3));
  }
}

describe('the kata walkthrough in the browser', () => {
  it('unsupervised GPL flow: upload, configure, train, evaluate, search, download a zip that onnxruntime loads', async () => {
    const { page, errors } = await openLab();
    await shot(page, 'unsupervised-0-start');
    await loadSlice(page, 'unsupervised');
    await page.getByLabel('Any Hub model id').check();
    await page.getByLabel('Hub id').fill('fixtures/tiny-bi');
    await page.getByLabel(/Hub model: GPL/).check();
    await page.getByLabel('Cross-encoder id').fill('fixtures/tiny-ce');
    await page.getByLabel('Products that get queries (empty = all)').fill('16');
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Max steps (empty = epochs)').fill('4');
    await page.getByLabel('Learning rate').fill('0.0005');
    await page.getByLabel(/Evaluate every/).fill('2');
    await shot(page, 'unsupervised-2-configure');
    await trainAndCheck(page, 'unsupervised', async () => {
      // evaluations during training (steps 2 and 4 of 4) in the table under the charts
      const evals = page.getByTestId('train-evals').locator('tbody tr');
      expect(await evals.locator('td:first-child').allTextContents()).toEqual(['2', '4']);
      expect(await evals.first().locator('td').nth(1).textContent()).toMatch(/^0\.\d{3}$|^1\.000$/);
    });
    expect(await page.locator('table.metrics tbody tr').count()).toBeGreaterThanOrEqual(2);

    await page.getByRole('button', { name: 'gaming mouse pad', exact: true }).click();
    await expect.poll(() => page.getByTestId('hits-baseline').locator('li').count(), { timeout: 60_000 }).toBe(10);
    expect(await page.getByTestId('hits-tuned').locator('li').count()).toBe(10);
    // BM25's list: only products sharing a word with the query, the best first
    expect(await page.getByTestId('hits-bm25').locator('li').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('hits-bm25').locator('li').first().textContent()).toMatch(/mouse|pad|gaming/i);
    // judgment marks: every hit shows either its rating or "not judged"
    expect(await page.getByTestId('hits-tuned').locator('.mark').count()).toBe(10);
    await shot(page, 'unsupervised-5-playground');

    const names = await downloadAndRunOnnx(page, 'unsupervised');
    await sameMetricsAsCli(page, 'unsupervised');
    expect(names.some((n) => n.endsWith('config.json'))).toBe(true);
    const fieldType = await openSnippet(page, 'Solr field type');
    await expect.poll(() => fieldType.textContent()).toContain('"vectorDimension": 32');
    await page.getByRole('heading', { name: 'Runs in this browser' }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.badge.b-done').count(), { timeout: 10_000 }).toBe(1);
    await shot(page, 'unsupervised-6-integrate');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 280_000);

  it('supervised flow with the default curated model, to a zip', async () => {
    const { page, errors } = await openLab();
    // the wasm backend on every core, and inference on onnxruntime-web (named in the badge's title)
    if ((process.env.FTLAB_FLOW_BACKEND ?? 'wasm') === 'wasm') {
      const badge = page.getByTestId('backend');
      await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toMatch(/Backend: wasm · \d+ threads?/);
      expect(await badge.getAttribute('title')).toMatch(/inference: onnxruntime-web wasm, \d+ threads?/);
    }
    await loadSlice(page, 'supervised');
    await page.getByLabel(/Supervised: train on the judgments/).check();
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Max steps (empty = epochs)').fill('4');
    await page.getByLabel('Learning rate').fill('0.0005');
    await page.getByTestId('negatives-from').selectOption('both');
    await shot(page, 'supervised-2-configure');
    await trainAndCheck(page, 'supervised', async () => {
      // the review of the mined hard negatives: statistics, and example queries with scored candidates
      const review = page.getByTestId('mining-review');
      expect(await review.textContent()).toMatch(/negatives for \d+ queries \(dense scores/);
      expect(await review.locator('details').count()).toBeGreaterThan(0);
    });
    await page.getByRole('button', { name: 'microsoft office', exact: true }).click();
    await expect.poll(() => page.getByTestId('hits-tuned').locator('li').count(), { timeout: 60_000 }).toBe(10);
    await shot(page, 'supervised-5-playground');
    await downloadAndRunOnnx(page, 'supervised');

    // the WiSE-FT slider: α 0 re-evaluates to the base model's column, α 1 to the fine-tuned one's (same queries)
    const columnNdcg = (n: number) => page.locator('table.metrics tbody tr').first().locator('td').nth(n).textContent();
    const slider = page.getByTestId('wise-alpha');
    for (const [alpha, column] of [
      ['0', 1],
      ['1', 2],
    ] as const) {
      await slider.fill(alpha);
      await expect.poll(() => page.getByTestId('alpha-metrics').textContent(), { timeout: 60_000 }).toContain(`at α ${alpha}:`);
      expect(await page.getByTestId('alpha-ndcg').textContent(), `α ${alpha}`).toBe(await columnNdcg(column));
    }
    // the trade-off table; picking its int8 row changes what the download holds
    await page.getByTestId('measure-variants').click();
    const variants = page.getByTestId('variants');
    await expect.poll(() => variants.locator('tbody tr').count(), { timeout: 120_000 }).toBe(4);
    await variants.getByLabel(/ship α 1 int8/).check();
    await expect.poll(() => page.getByTestId('ship-choice').textContent()).toMatch(/int8 ONNX beside fp32/);
    await shot(page, 'supervised-6-ship');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 280_000);

  it('a malformed upload shows an error naming the file and line', async () => {
    const { page } = await openLab();
    const bad = path.join(dir, 'broken-products.jsonl');
    await writeFile(bad, '{"id": "1", "title": "ok"}\n{"id": "2", "title": oops}\n');
    await page.setInputFiles('#corpus-files', bad);
    await page.getByRole('button', { name: 'Load these files' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.textContent();
    expect(text).toContain('broken-products.jsonl');
    expect(text).toMatch(/line 2/);
    await shot(page, 'malformed-upload');
    await page.context().close();
  }, 120_000);
});
