import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { folderSource } from '../src/cli/folderSource.ts';
import { initNodeBackend } from '../src/cli/nodeBackend.ts';
import { loadOnnxTextEmbedder } from '../src/cli/serve/onnxTextEmbedder.ts';
import { writeModelFiles } from '../src/cli/writeModelFiles.ts';
import { textVectorField, writeSolrDocuments, type Embedder } from '../src/training/chorus/solrDocuments.ts';
import { corpusTexts, loadCorpusFiles, type Product } from '../src/training/data/corpus.ts';
import { parseJudgments } from '../src/training/data/judgments.ts';
import { buildBertOnnx } from '../src/training/export/bertOnnx.ts';
import { initModel } from '../src/training/init/initModel.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { parseBertConfig } from '../src/training/models/bert/bertConfig.ts';
import { loadSentenceEncoder } from '../src/training/families/registry.ts';
import { writeSafetensors } from '../src/training/weights/safetensors.ts';
import { tinyTrainingCorpus } from '../test/helpers/fixtures.ts';
import { machineInfo } from './machine.ts';

/**
 * `ftlab serve` under load: requests/s and p50/p99 latency at concurrency 1, 8, 32 against the real CLI
 * server (a child process, as deployed) on loopback, with the same model's raw onnxruntime throughput
 * (one embed() call per batch, in this process) as the ceiling; plus `ftlab vectors` export speed.
 * Model: MiniLM-L6-shaped (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522), random weights,
 * WordPiece vocabulary learned from Chorus titles. Queries: the Chorus judgment queries, cycled.
 *
 *   npx tsx bench/serveBench.ts [--quick] [--out file.json]
 */

export interface ServeBenchOptions {
  quick?: boolean;
  /** requests per concurrency level (bounded by levelBudgetMs too) */
  requests?: number;
  levelBudgetMs?: number;
  /** products for the vector export (onnx engine); the tfjs engine gets exportProductsTfjs */
  exportProducts?: number;
  exportProductsTfjs?: number;
  dataDir?: string;
  log?: (m: string) => void;
}

interface Level {
  concurrency: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  onnxRuns: number;
  meanBatch: number;
  errors: number;
}

const repo = path.resolve(import.meta.dirname, '..');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function loadData(dataDir: string, quick: boolean): { products: Product[]; queries: string[] } {
  const zips = quick ? ['1.json.zip'] : ['1.json.zip', '2.json.zip', '3.json.zip', '4.json.zip'];
  if (!existsSync(path.join(dataDir, '1.json.zip'))) {
    const products = tinyTrainingCorpus.map((t, i) => ({ id: String(i), fields: { id: String(i), title: t, supplier: 'Acme' } }));
    return { products, queries: tinyTrainingCorpus.slice(16, 22) };
  }
  const products = loadCorpusFiles(zips.map((z) => ({ name: z, bytes: readFileSync(path.join(dataDir, z)) }))).products;
  const judgments = parseJudgments(readFileSync(path.join(dataDir, 'judgments-dev.csv'), 'utf8'), 'judgments-dev.csv').judgments;
  return { products, queries: [...judgments.keys()] };
}

/** A MiniLM-L6-shaped random sentence encoder folder (or a tiny one with quick), with onnx/model.onnx. */
async function makeModel(dir: string, titles: string[], quick: boolean) {
  const shape = quick ? { hidden: 32, layers: 2, heads: 4, intermediate: 64 } : { hidden: 384, layers: 6, heads: 12, intermediate: 1536 };
  const files = initModel({ texts: titles, ...shape, vocabSize: 30522, maxSeqLength: 128, seed: 42 });
  // the learned vocabulary is smaller than MiniLM's; give the embedding table MiniLM's 30522 rows anyway
  const raw = JSON.parse(files.get('config.json') as string) as Record<string, unknown>;
  raw.vocab_size = 30522;
  const config = parseBertConfig(raw);
  const weights = randomBertWeights(config, { seed: 42 });
  files.set('config.json', JSON.stringify(raw, null, 2) + '\n');
  files.set('model.safetensors', writeSafetensors(weights));
  files.set('onnx/model.onnx', buildBertOnnx(config, weights, { maxSeqLength: 128, pooling: 'mean', normalize: true }));
  await writeModelFiles(dir, files);
}

function startServer(modelDir: string): Promise<{ url: string; stop: () => Promise<string> }> {
  const child = spawn(
    process.execPath,
    [path.join(repo, 'bin/ftlab.js'), 'serve', '--model', `ftbert=${modelDir}`, '--port', '0', '--max-batch', '32', '--max-wait-ms', '2'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`ftlab serve did not start in 120 s: ${stderr}`)), 120_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({
        url: (JSON.parse(out.split('\n')[0]!) as { url: string }).url,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
          return stderr;
        },
      });
    });
    child.on('close', (code) => reject(new Error(`ftlab serve exited (${code}): ${stderr}`)));
  });
}

function postJson(agent: Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function onnxRuns(url: string): Promise<number> {
  const h = (await (await fetch(`${url}/health`)).json()) as { stats: { ftbert: { batches: number } } };
  return h.stats.ftbert.batches;
}

async function loadLevel(url: string, queries: string[], concurrency: number, count: number, budgetMs: number): Promise<Level> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = (i: number) => JSON.stringify({ text: queries[i % queries.length], output_format: 'float_list', separator: ',', normalize: false });
  // warm-up: open the sockets, let onnxruntime settle
  await Promise.all(Array.from({ length: concurrency * 2 }, (_, i) => postJson(agent, `${url}/ftbert/text/`, body(i))));
  const runsBefore = await onnxRuns(url);
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() - started < budgetMs) {
        const i = next++;
        const t = performance.now();
        const r = await postJson(agent, `${url}/ftbert/text/`, body(i));
        latencies.push(performance.now() - t);
        if (r.status !== 200 || !r.text.startsWith('{"embedding":[')) errors++;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const runs = (await onnxRuns(url)) - runsBefore;
  agent.destroy();
  return {
    concurrency,
    requests: latencies.length,
    reqPerSec: round(latencies.length / secs, 1),
    p50Ms: round(pct(latencies, 50)),
    p99Ms: round(pct(latencies, 99)),
    onnxRuns: runs,
    meanBatch: round(latencies.length / Math.max(runs, 1)),
    errors,
  };
}

async function timeLoop(budgetMs: number, minReps: number, fn: () => Promise<number>): Promise<{ items: number; secs: number; reps: number }> {
  await fn(); // warm-up
  let items = 0;
  let reps = 0;
  const t = performance.now();
  while (reps < minReps || performance.now() - t < budgetMs) {
    items += await fn();
    reps++;
  }
  return { items, secs: (performance.now() - t) / 1000, reps };
}

async function exportSpeed(products: Product[], embed: Embedder): Promise<{ products: number; productsPerSec: number; bytes: number }> {
  let bytes = 0;
  const t = performance.now();
  await writeSolrDocuments(products, [textVectorField('finetuned_product_vector', '{title} {supplier}', embed)], (c) => {
    bytes += Buffer.byteLength(c);
  });
  const secs = (performance.now() - t) / 1000;
  return { products: products.length, productsPerSec: round(products.length / secs, 1), bytes };
}

export async function runServeBench(o: ServeBenchOptions = {}) {
  const log = o.log ?? (() => {});
  const quick = o.quick ?? false;
  const requests = o.requests ?? (quick ? 100 : 600);
  const budgetMs = o.levelBudgetMs ?? (quick ? 5_000 : 30_000);
  const { products, queries } = loadData(o.dataDir ?? path.join(repo, '../shared/data/chorus'), quick);
  const titles = corpusTexts(products.slice(0, 3000), '{title} {supplier}').texts;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ftlab-servebench-'));
  try {
    let t = performance.now();
    await makeModel(dir, titles, quick);
    log(`model written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // ceiling: the same ONNX model and tokenizer, called directly
    const embedder = await loadOnnxTextEmbedder(folderSource(dir));
    const ceiling: Record<string, { textsPerSec: number; msPerCall: number }> = {};
    for (const batch of [1, 32]) {
      let k = 0;
      const r = await timeLoop(quick ? 1000 : 4000, 5, async () => {
        const texts = Array.from({ length: batch }, () => queries[k++ % queries.length]!);
        await embedder.embed(texts);
        return batch;
      });
      ceiling[`batch${batch}`] = { textsPerSec: round(r.items / r.secs, 1), msPerCall: round((r.secs * 1000) / r.reps) };
      log(`onnxruntime batch ${batch}: ${ceiling[`batch${batch}`]!.textsPerSec} texts/s`);
    }
    const exportOnnx = await exportSpeed(products.slice(0, o.exportProducts ?? (quick ? 500 : 2000)), async (texts) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 32) out.push(...(await embedder.embed(texts.slice(i, i + 32))));
      return out;
    });
    log(`vectors export (onnx): ${exportOnnx.productsPerSec} products/s`);
    await embedder.release();

    await initNodeBackend('wasm');
    const encoder = await loadSentenceEncoder(folderSource(dir));
    const exportTfjs = await exportSpeed(products.slice(0, o.exportProductsTfjs ?? (quick ? 100 : 256)), (texts) =>
      encoder.encode(texts, { batchSize: 32 }),
    );
    encoder.dispose();
    log(`vectors export (tfjs wasm): ${exportTfjs.productsPerSec} products/s`);

    t = performance.now();
    const server = await startServer(dir);
    log(`ftlab serve up in ${((performance.now() - t) / 1000).toFixed(1)} s at ${server.url}`);
    const levels: Level[] = [];
    try {
      for (const c of [1, 8, 32]) {
        const l = await loadLevel(server.url, queries, c, requests, budgetMs);
        levels.push(l);
        log(`concurrency ${c}: ${l.reqPerSec} req/s, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, ${l.meanBatch} texts per ONNX run, ${l.errors} errors`);
      }
    } finally {
      await server.stop();
    }
    const best = Math.max(...levels.map((l) => l.reqPerSec));
    return {
      bench: 'ftlab serve (Chorus embeddings API) under loopback load vs raw onnxruntime; ftlab vectors export speed',
      date: new Date().toISOString(),
      machine: machineInfo(),
      model: quick
        ? 'tiny (--quick): hidden 32, 2 layers'
        : 'MiniLM-L6 shape (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522), random weights, mean pooling + normalize',
      queries: `${queries.length} Chorus judgment queries, cycled; request {"text", "output_format": "float_list", "separator": ",", "normalize": false}`,
      server: { maxBatch: 32, maxWaitMs: 2, levels },
      ceiling,
      serverVsCeiling: round(best / ceiling.batch32!.textsPerSec, 3),
      vectorsExport: { onnx: exportOnnx, tfjsWasm: exportTfjs },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, requests: { type: 'string' } } });
  const doc = await runServeBench({
    quick: values.quick,
    requests: values.requests ? Number(values.requests) : undefined,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const json = JSON.stringify(doc, null, 2);
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, json + '\n');
  }
  process.stdout.write(json + '\n');
}
