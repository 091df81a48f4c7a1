/** A tiny random XLM-RoBERTa model folder and the float64 numpy reference (test/reference/xlm_roberta_reference.py). */
import { initXlmRoberta, type InitXlmRobertaOptions } from '../../src/training/families/xlmRoberta/initXlmRoberta.ts';
import { tinyTrainingCorpus } from './fixtures.ts';
import { modelFolder } from './modelFolder.ts';
import { runPythonReference } from './pythonReference.ts';
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

/**
 * hidden 32, 2 layers, 4 heads, ~300 pieces, every parameter random (initializer_range 0.2 so attention is
 * peaked); the folder is shared by every caller asking for the same options, so treat it as read-only.
 */
export function makeTinyXlmRoberta(opts: Partial<InitXlmRobertaOptions> = {}): Promise<string> {
  return modelFolder('ftlab-xlmr-', opts, () =>
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
}

export interface XlmrForward {
  results: { last_hidden_state: number[][][]; sentence_embedding: number[][]; position_ids: number[][]; all_poolings: Record<string, number[][]> }[];
}

/** One python start for several requests (same request format as bert_reference.py; token_type_ids optional). */
export function runXlmrReferences(reqs: (Omit<ReferenceRequest, 'batches'> & { batches: Partial<TokenBatch>[] })[]): (XlmrForward | ReferenceFd)[] {
  return runPythonReference('xlm_roberta_reference.py', reqs);
}
