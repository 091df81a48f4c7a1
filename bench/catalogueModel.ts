import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCorpusFiles, corpusTexts } from '../src/training/data/corpus.ts';
import { initModel } from '../src/training/init/initModel.ts';
import { tokenizerFiles } from '../src/training/init/tokenizerFiles.ts';
import { randomBertWeights } from '../src/training/init/randomBert.ts';
import { parseBertConfig } from '../src/training/models/bert/bertConfig.ts';
import { writeSafetensors } from '../src/training/weights/safetensors.ts';
import type { ModelFiles } from '../src/training/export/modelFiles.ts';
import { loadSentenceEncoder } from '../src/training/families/registry.ts';
import { memoryFiles } from '../src/lab/modelSources.ts';
import { exportSentenceModel } from '../src/training/export/exportSentenceModel.ts';
import { emptyModuleDirs } from '../src/training/export/modelFiles.ts';
import { chorusCorpusFiles } from '../src/app/lib/bundledData.ts';
import { Rng } from '../src/training/random/rng.ts';
import { repoRoot } from '../test/helpers/browserServer.ts';

/**
 * Inputs of the catalogue embedding bench (bench/catalogueBench.ts): the bundled Chorus catalogue rendered with
 * the lab's default template, and a MiniLM-L6-shaped model with random weights whose WordPiece vocabulary is
 * learned from that catalogue, exported by ftlab's own exporter (safetensors for tfjs, onnx/model.onnx for
 * transformers.js). Both engines therefore load the very same weights and tokenizer.
 */

export const CATALOGUE_TEMPLATE = '{title} {supplier}';

/** all-MiniLM-L6-v2's shape; the vocabulary is capped at its 30,522 but only as large as the catalogue yields */
export const catalogueModelShape = { hidden: 384, layers: 6, heads: 12, intermediate: 1536, vocabSize: 30522, maxSeqLength: 256 };

/** Where the exported folder goes: under the Vite root (so the page can fetch it) and gitignored (bench/results). */
export const catalogueModelDir = path.join(repoRoot, 'bench/results/catalogue-model/minilm-chorus');

export function catalogueTexts(): string[] {
  const dir = path.join(repoRoot, 'public/data/chorus');
  const files = chorusCorpusFiles.map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
  return corpusTexts(loadCorpusFiles(files).products, CATALOGUE_TEMPLATE).texts;
}

/**
 * The first `limit` texts of a seeded shuffle: a run cut short by its limit or budget still sees a sample of
 * the whole catalogue (title lengths vary by category), not just its first file.
 */
export function sampleTexts(texts: readonly string[], limit: number, seed: number): string[] {
  const order = texts.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, limit).map((i) => texts[i]!);
}

export interface CatalogueModel {
  dir: string;
  /** files relative to dir, for the page to fetch */
  files: string[];
  vocabSize: number;
  parameters: number;
  /** seconds spent building it (0 when reused) */
  buildSeconds: number;
}

/**
 * Builds the folder once per (shape, seed, catalogue); later runs reuse it (the stamp file records what it holds).
 * Needs a tfjs backend in this process (initNodeBackend) to materialise the weights for the exporter.
 */
export async function ensureCatalogueModel(texts: string[], seed: number, log: (m: string) => void): Promise<CatalogueModel> {
  const stamp = JSON.stringify({ ...catalogueModelShape, seed, texts: texts.length, v: 2 });
  const stampFile = path.join(catalogueModelDir, 'ftlab-bench-stamp.json');
  const t0 = performance.now();
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    log(`building the MiniLM-shaped model (vocabulary from ${texts.length} catalogue texts)…`);
    const init = padVocabulary(initModel({ texts, ...catalogueModelShape, seed }), catalogueModelShape.vocabSize, seed);
    const encoder = await loadSentenceEncoder(memoryFiles(init, 'minilm-chorus'));
    let files;
    try {
      files = await exportSentenceModel(encoder, {
        baseModel: 'random MiniLM-L6 shape (ftlab bench)',
        data: { name: 'Chorus catalogue', rows: texts.length },
        loss: 'mnrl',
      });
    } finally {
      encoder.dispose();
    }
    rmSync(catalogueModelDir, { recursive: true, force: true });
    for (const [name, content] of files) {
      const p = path.join(catalogueModelDir, name);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    for (const d of emptyModuleDirs(files)) mkdirSync(path.join(catalogueModelDir, d), { recursive: true });
    writeFileSync(stampFile, stamp);
  }
  const config = JSON.parse(readFileSync(path.join(catalogueModelDir, 'config.json'), 'utf8')) as Record<string, number>;
  const h = config.hidden_size!,
    l = config.num_hidden_layers!,
    i = config.intermediate_size!,
    v = config.vocab_size!;
  // embeddings (word, position, type, LayerNorm) + per layer (QKV+O, FFN, 2 LayerNorms)
  const parameters = (v + config.max_position_embeddings! + 2 + 2) * h + l * (4 * (h * h + h) + 2 * h * i + i + h + 4 * h);
  const files = listFiles(catalogueModelDir).filter((f) => f !== 'ftlab-bench-stamp.json');
  return { dir: catalogueModelDir, files, vocabSize: v, parameters, buildSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The catalogue yields ~11k WordPiece tokens; MiniLM has 30,522. BERT vocabularies carry never-seen
 * "[unusedN]" entries, so padding with them gives the real embedding-table size without changing how any
 * catalogue text tokenizes. Config, tokenizer files and (re-drawn) weights follow the new size.
 */
function padVocabulary(files: ModelFiles, size: number, seed: number): ModelFiles {
  const vocab = String(files.get('vocab.txt'))
    .split('\n')
    .filter((t) => t !== '');
  for (let i = 0; vocab.length < size; i++) vocab.push(`[unused${i}]`);
  const raw = { ...(JSON.parse(String(files.get('config.json'))) as Record<string, unknown>), vocab_size: vocab.length };
  const out: ModelFiles = new Map(files);
  out.set('config.json', JSON.stringify(raw, null, 2) + '\n');
  for (const [name, text] of Object.entries(tokenizerFiles(vocab, { lowercase: true, modelMaxLength: catalogueModelShape.maxSeqLength })))
    out.set(name, text);
  out.set('model.safetensors', writeSafetensors(randomBertWeights(parseBertConfig(raw, 'catalogue bench config'), { seed })));
  return out;
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
