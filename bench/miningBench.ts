import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { corpusTexts, loadCorpusFiles } from '../src/training/data/corpus.ts';
import { mineCandidates } from '../src/training/data/mining.ts';
import { cosineTopK, normalizeRows } from '../src/training/eval/topk.ts';
import { initNodeBackend, backendThreads } from '../src/cli/nodeBackend.ts';
import { Rng } from '../src/training/random/rng.ts';
import { machineInfo } from './machine.ts';

/**
 * Candidate mining throughput (queries/s): exact cosine top-k of query vectors over the whole Chorus corpus
 * (the four zips, products with "{title} {supplier}" text), with random MiniLM-shaped (384-d) vectors —
 * mining cost depends on corpus size and dimension only, not on the model.
 *
 *   npx tsx bench/miningBench.ts [--queries 1024] [--k 50] [--dim 384] [--out file.json]
 */
const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '1024' },
    k: { type: 'string', default: '50' },
    dim: { type: 'string', default: '384' },
    out: { type: 'string' },
  },
});
const nq = Number(values.queries);
const k = Number(values.k);
const dim = Number(values.dim);

await initNodeBackend('wasm');
const dir = path.resolve(import.meta.dirname, '../../shared/data/chorus');
const files = [1, 2, 3, 4].map((i) => ({ name: `${i}.json.zip`, bytes: new Uint8Array(readFileSync(path.join(dir, `${i}.json.zip`))) }));
const { ids } = corpusTexts(loadCorpusFiles(files).products, '{title} {supplier}');
const rng = new Rng(42);
const vecs = (n: number) => Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => rng.normal()));
const corpus = normalizeRows(vecs(ids.length));
const queries = vecs(nq);
// Every query excludes one product, as a GPL query excludes its source.
const exclude = queries.map((_, i) => new Set([i % ids.length]));

await mineCandidates(queries.slice(0, 32), corpus, { k }); // warm-up (JIT)
const results = [];
for (const chunk of [256]) {
  const t0 = performance.now();
  const mined = await mineCandidates(queries, corpus, { k, exclude: (i) => exclude[i], chunk });
  const secs = (performance.now() - t0) / 1000;
  if (mined.length !== nq || mined.some((m) => m.indices.length !== k)) throw new Error('mining returned the wrong number of candidates');
  results.push({ chunk, seconds: Number(secs.toFixed(3)), queriesPerSecond: Number((nq / secs).toFixed(1)) });
  process.stderr.write(`mining: ${nq} queries × ${ids.length} products × ${dim}-d, k ${k}: ${(nq / secs).toFixed(1)} queries/s\n`);
}
// the JS loop mining used before (same exact results), on a slice: it is ~an order of magnitude slower
const slice = queries.slice(0, Math.min(nq, 128));
const tj = performance.now();
cosineTopK(slice, corpus, k);
const jsQps = slice.length / ((performance.now() - tj) / 1000);
process.stderr.write(`mining, JS loop (cosineTopK): ${jsQps.toFixed(1)} queries/s\n`);
const doc = {
  bench: 'candidate mining (exact cosine top-k, mining.ts over eval/matMulTopK.ts)',
  date: new Date().toISOString(),
  machine: machineInfo(),
  corpus: ids.length,
  dim,
  k,
  queries: nq,
  tfjs: { backend: 'wasm', threads: backendThreads() },
  results,
  jsLoopQueriesPerSecond: Number(jsQps.toFixed(1)),
  speedupVsJsLoop: Number((results[0]!.queriesPerSecond / jsQps).toFixed(2)),
};
if (values.out) writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
