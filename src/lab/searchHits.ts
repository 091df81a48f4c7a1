/** The playground's hits: a retrieval index's top-k product ids as rows with the fields worth showing and the judgment mark. */
import type { RetrievalIndex } from '../training/eval/retrievalIndex.ts';
import type { SearchHit } from './api/labApi.ts';
import type { LoadedLabData } from './labData.ts';

const shownFields = ['title', 'name', 'supplier', 'brand', 'attr_t_product_type', 'img_thumb', 'img_500x500', 'img_high', 'img_low'];

function displayFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of shownFields) {
    const v = fields[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}

/** Top-k products for a query by cosine similarity, with judgment marks for judged (query, product) pairs. */
export async function searchHits(index: RetrievalIndex, data: LoadedLabData, query: string, k: number, signal?: AbortSignal): Promise<SearchHit[]> {
  const q = query.trim();
  if (!q) return [];
  const [hit] = await index.search([q], k, { signal });
  return hitRows(data, q, hit!);
}

/** A ranking of product ids as playground rows: the fields worth showing and the judgment mark. */
export function hitRows(data: LoadedLabData, q: string, hit: { ids: string[]; scores: number[] }): SearchHit[] {
  const judged = data.judgments?.get(q) ?? [...(data.judgments ?? [])].find(([jq]) => jq.toLowerCase() === q.toLowerCase())?.[1];
  return hit.ids.map((id, i) => {
    const row = data.rowOf.get(id)!;
    const rating = judged?.get(id);
    return {
      rank: i + 1,
      id,
      score: hit.scores[i]!,
      text: data.texts[row]!,
      fields: displayFields(data.products[row]!.fields),
      ...(rating !== undefined && { rating }),
    };
  });
}
