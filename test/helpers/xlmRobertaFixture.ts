/** A tiny random XLM-RoBERTa model folder and the float64 numpy reference (test/reference/xlm_roberta_reference.py). */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeModelFiles } from '../../src/cli/writeModelFiles.ts';
import { initXlmRoberta, type InitXlmRobertaOptions } from '../../src/training/families/xlmRoberta/initXlmRoberta.ts';
import { tinyTrainingCorpus } from './fixtures.ts';
import type { ReferenceFd, ReferenceRequest, TokenBatch } from './reference.ts';

/** Product titles in several scripts, so the Unigram vocabulary has Latin, accented, Cyrillic and CJK pieces. */
export const multilingualCorpus: string[] = [
  ...tinyTrainingCorpus,
  'Chaussures de course rouges pour homme, pointure 42',
  'Rote Laufschuhe für Herren, Größe 42',
  'Zapatillas de running impermeables para mujer',
  'Scarpe da corsa leggere, nere',
  'Кофемашина эспрессо с капучинатором',
  'ステンレス製 水筒 750ml',
  'Gourde isotherme en acier inoxydable',
  'Kabellose Kopfhörer mit Geräuschunterdrückung',
];

const script = path.join(import.meta.dirname, '..', 'reference', 'xlm_roberta_reference.py');
const cache = new Map<string, Promise<string>>();

/**
 * hidden 32, 2 layers, 4 heads, ~300 pieces, every parameter random (initializer_range 0.2 so attention is
 * peaked); the folder is shared by every caller asking for the same options, so treat it as read-only.
 */
export function makeTinyXlmRoberta(opts: Partial<InitXlmRobertaOptions> = {}): Promise<string> {
  const key = JSON.stringify(opts);
  if (!cache.has(key)) {
    cache.set(
      key,
      (async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-xlmr-'));
        await writeModelFiles(
          dir,
          initXlmRoberta({
            texts: multilingualCorpus,
            hidden: 32,
            layers: 2,
            heads: 4,
            intermediate: 48,
            vocabSize: 300,
            maxSeqLength: 24,
            seed: 5,
            perturbAll: true,
            initializerRange: 0.2,
            ...opts,
          }),
        );
        return dir;
      })(),
    );
  }
  return cache.get(key)!;
}

export interface XlmrForward {
  results: { last_hidden_state: number[][][]; sentence_embedding: number[][]; position_ids: number[][]; all_poolings: Record<string, number[][]> }[];
}

/** One python start for several requests (same request format as bert_reference.py; token_type_ids optional). */
export function runXlmrReferences(reqs: (Omit<ReferenceRequest, 'batches'> & { batches: Partial<TokenBatch>[] })[]): (XlmrForward | ReferenceFd)[] {
  const out = execFileSync('python3', [script], { input: JSON.stringify(reqs), maxBuffer: 256 << 20, encoding: 'utf8' });
  return JSON.parse(out) as (XlmrForward | ReferenceFd)[];
}
