import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { folderSource } from '../src/cli/folderSource.ts';
import { writeModelFiles } from '../src/cli/writeModelFiles.ts';
import { corpusTexts, loadCorpusFiles } from '../src/training/data/corpus.ts';
import { mineCandidates } from '../src/training/data/mining.ts';
import { normalizeRows } from '../src/training/eval/topk.ts';
import { exportCrossEncoder } from '../src/training/export/exportCrossEncoder.ts';
import { bertDefaults, parseBertConfig } from '../src/training/models/bert/bertConfig.ts';
import { nodeOnnxRuntime } from '../src/cli/ortNodeRuntime.ts';
import { useOnnxRuntime } from '../src/training/inference/onnxRuntime.ts';
import { loadCrossEncoder, type CrossEncoder, type TfjsCrossEncoder } from '../src/training/models/crossEncoder.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { sequenceClassifierFiles } from '../src/training/init/randomCrossEncoder.ts';
import { tokenizerFiles } from '../src/training/init/tokenizerFiles.ts';
import { buildWordPieceVocab } from '../src/training/init/wordpiece.ts';
import { Rng } from '../src/training/random/rng.ts';

/**
 * The data step's costs on the Chorus catalogue: cross-encoder pairs/s (tfjs on the Node backend vs the same
 * weights exported to ONNX and run by transformers.js on onnxruntime-node: the baseline) for a MiniLM-L6-shaped
 * random cross-encoder, and mining queries/s (exact cosine top-50 over all 19,406 products, 384-d).
 * Run in a process whose tfjs backend is already initialised (bench/run.ts does).
 */
export interface DataBenchResult {
  crossEncoder: {
    pairs: number;
    meanTokens: number;
    tfjsPairsPerSec: number;
    /** the tfjs cross-encoder scoring on onnxruntime-node over its in-memory graph (the lab's and the CLI's path) */
    labOnnxPairsPerSec: number;
    onnxPairsPerSec: number;
    tfjsVsOnnx: number;
    labOnnxVsOnnx: number;
    maxAbsDiff: number;
    labOnnxMaxAbsDiff: number;
  };
  mining: { queries: number; corpus: number; dim: number; k: number; queriesPerSec: number };
}

const chorus = path.resolve(import.meta.dirname, '../../shared/data/chorus');

async function pairsPerSec(ce: CrossEncoder, pairs: [string, string][]) {
  await ce.score(pairs.slice(0, 32)); // warm-up: kernel set-up and session creation
  const t0 = performance.now();
  const scores = await ce.score(pairs, { batchSize: 32 });
  return { scores, perSec: pairs.length / ((performance.now() - t0) / 1000) };
}

export async function runDataBench(opts: { quick?: boolean; log?: (m: string) => void } = {}): Promise<DataBenchResult> {
  const log = opts.log ?? (() => {});
  const files = (opts.quick ? [1] : [1, 2, 3, 4]).map((i) => ({
    name: `${i}.json.zip`,
    bytes: new Uint8Array(readFileSync(path.join(chorus, `${i}.json.zip`))),
  }));
  const { texts } = corpusTexts(loadCorpusFiles(files).products, '{title} {supplier}');
  const queries = [
    ...new Set(
      readFileSync(path.join(chorus, 'judgments-dev.csv'), 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]!)
        .filter(Boolean),
    ),
  ];
  const n = opts.quick ? 64 : 256;
  const pairs: [string, string][] = Array.from({ length: n }, (_, i) => [queries[i % queries.length]!, texts[(i * 37) % texts.length]!]);

  const raw = {
    ...bertDefaults,
    architectures: ['BertModel'],
    hidden_act: 'gelu',
    hidden_size: 384,
    intermediate_size: 1536,
    max_position_embeddings: 512,
    model_type: 'bert',
    num_attention_heads: 12,
    num_hidden_layers: opts.quick ? 1 : 6,
    type_vocab_size: 2,
    vocab_size: 30522,
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ftlab-data-bench-'));
  const vocab = buildWordPieceVocab(texts.slice(0, 5000), 8000);
  await writeModelFiles(
    path.join(dir, 'hf'),
    sequenceClassifierFiles(raw, randomBertWeights(parseBertConfig(raw), { seed: 1 }), tokenizerFiles(vocab, { modelMaxLength: 512 }), {
      numLabels: 1,
    }),
  );
  const tfjsCe = (await loadCrossEncoder(folderSource(path.join(dir, 'hf')))) as TfjsCrossEncoder;
  const enc = tfjsCe.tokenizer.encodePairs(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
    512,
  );
  const meanTokens = enc.attentionMask.reduce((s, m) => s + m, 0) / n;
  log(`cross-encoder: ${n} pairs, ${meanTokens.toFixed(1)} tokens/pair`);
  const a = await pairsPerSec(tfjsCe, pairs);
  log(`cross-encoder tfjs: ${a.perSec.toFixed(1)} pairs/s`);
  // what the lab's workers and the CLI score with: the tfjs cross-encoder's in-memory graph on onnxruntime
  useOnnxRuntime(nodeOnnxRuntime());
  const labCe = (await loadCrossEncoder(folderSource(path.join(dir, 'hf')))) as TfjsCrossEncoder;
  const lab = await pairsPerSec(labCe, pairs);
  log(`cross-encoder ${labCe.engine}: ${lab.perSec.toFixed(1)} pairs/s`);
  labCe.dispose();
  useOnnxRuntime(undefined);
  await writeModelFiles(path.join(dir, 'onnx'), await exportCrossEncoder(tfjsCe));
  tfjsCe.dispose();
  const onnxCe = await loadCrossEncoder(folderSource(path.join(dir, 'onnx')), { backend: 'onnx', device: 'cpu' });
  const b = await pairsPerSec(onnxCe, pairs);
  onnxCe.dispose();
  log(`cross-encoder onnx: ${b.perSec.toFixed(1)} pairs/s`);
  if (!a.scores.every(Number.isFinite) || !b.scores.every(Number.isFinite)) throw new Error('cross-encoder bench: non-finite scores');
  let maxAbsDiff = 0;
  let labOnnxMaxAbsDiff = 0;
  for (let i = 0; i < n; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a.scores[i]! - b.scores[i]!));
    labOnnxMaxAbsDiff = Math.max(labOnnxMaxAbsDiff, Math.abs(a.scores[i]! - lab.scores[i]!));
  }

  const dim = 384;
  const k = 50;
  const rng = new Rng(42);
  const vecs = (m: number) => Array.from({ length: m }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  const corpus = normalizeRows(vecs(texts.length));
  const nq = opts.quick ? 64 : 512;
  const q = vecs(nq);
  await mineCandidates(q.slice(0, 16), corpus, { k });
  const t0 = performance.now();
  await mineCandidates(q, corpus, { k, exclude: (i) => new Set([i % texts.length]) });
  const queriesPerSec = nq / ((performance.now() - t0) / 1000);
  log(`mining: ${queriesPerSec.toFixed(1)} queries/s over ${texts.length} products`);
  return {
    crossEncoder: {
      pairs: n,
      meanTokens,
      tfjsPairsPerSec: a.perSec,
      labOnnxPairsPerSec: lab.perSec,
      onnxPairsPerSec: b.perSec,
      tfjsVsOnnx: a.perSec / b.perSec,
      labOnnxVsOnnx: lab.perSec / b.perSec,
      maxAbsDiff,
      labOnnxMaxAbsDiff,
    },
    mining: { queries: nq, corpus: texts.length, dim, k, queriesPerSec },
  };
}
