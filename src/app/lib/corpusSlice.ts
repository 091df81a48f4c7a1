/**
 * A smaller corpus for a quick run on a slow device: every judged product (so evaluation stays meaningful)
 * plus the first `others` unjudged products. Parsed with the core loader, so errors read the same.
 */
import { loadCorpusFiles, type CorpusFile } from '../../training/data/corpus.ts';
import { parseJudgments } from '../../training/data/judgments.ts';

export function sliceCorpus(files: readonly CorpusFile[], others: number, judgments?: { name: string; text: string }): CorpusFile {
  const { products } = loadCorpusFiles(files);
  const judged = new Set<string>();
  if (judgments) {
    for (const perQuery of parseJudgments(judgments.text, judgments.name).judgments.values()) for (const id of perQuery.keys()) judged.add(id);
  }
  let extra = 0;
  const kept = products.filter((p) => judged.has(p.id) || (extra < others && ++extra > 0));
  const name = `${files.length === 1 ? files[0]!.name : 'corpus'}-slice-${kept.length}.json`;
  return { name, bytes: new TextEncoder().encode(JSON.stringify(kept.map((p) => p.fields))) };
}
