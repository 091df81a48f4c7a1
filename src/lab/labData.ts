/**
 * The lab's data, parsed once per setData: the corpus rendered through the text template (the searchable
 * documents), judgments and imported queries. Every dropped or suspicious record is reported, never thrown
 * away silently, so the Data step can list them.
 */
import { corpusTexts, loadCorpusFiles, type Product } from '../training/data/corpus.ts';
import { parseJudgments, type Judgments } from '../training/data/judgments.ts';
import { parseQueries, type Query } from '../training/data/queries.ts';
import type { DataSummary, LabData } from './api/labApi.ts';
import { DEFAULT_TEXT_TEMPLATE } from './api/labApi.ts';

export interface LoadedLabData {
  /** products with text, aligned with ids/texts */
  products: Product[];
  ids: string[];
  texts: string[];
  rowOf: Map<string, number>;
  judgments?: Judgments;
  judgmentLines?: Map<string, number>;
  judgmentsName?: string;
  queries?: Query[];
  summary: DataSummary;
}

/**
 * A smaller corpus for a quick run on a slow device: every judged product (so evaluation stays meaningful)
 * plus the first `others` unjudged ones, in corpus order.
 */
export function sliceProducts(products: readonly Product[], others: number, judgments?: Judgments): Product[] {
  const judged = new Set<string>();
  for (const perQuery of judgments?.values() ?? []) for (const id of perQuery.keys()) judged.add(id);
  let extra = 0;
  return products.filter((p) => judged.has(p.id) || (extra < others && ++extra > 0));
}

export function loadLabData(data: LabData): LoadedLabData {
  const template = data.template ?? DEFAULT_TEXT_TEMPLATE;
  const corpus = loadCorpusFiles(data.corpus.map((f) => ({ name: f.name, bytes: f.bytes })));
  const parsedJudgments = data.judgments && parseJudgments(data.judgments.text, data.judgments.name);
  if (data.sliceOthers !== undefined) corpus.products = sliceProducts(corpus.products, data.sliceOthers, parsedJudgments?.judgments);
  const rendered = corpusTexts(corpus.products, template);
  if (!corpus.products.length) throw new Error(`${data.corpus.map((f) => f.name).join(', ')}: the corpus is empty (no products)`);
  if (!rendered.ids.length) throw new Error(`none of the ${corpus.products.length} products has text for template "${template}"`);
  const byId = new Map(corpus.products.map((p) => [p.id, p]));
  const rejected: string[] = [...corpus.warnings];
  if (corpus.duplicateIds.length)
    rejected.push(`${corpus.duplicateIds.length} duplicate product id(s) kept once: ${corpus.duplicateIds.slice(0, 5).join(', ')}`);
  const warnings: string[] = [...rendered.warnings];
  const out: LoadedLabData = {
    products: rendered.ids.map((id) => byId.get(id)!),
    ids: rendered.ids,
    texts: rendered.texts,
    rowOf: new Map(rendered.ids.map((id, i) => [id, i])),
    summary: {
      products: corpus.products.length,
      documents: rendered.ids.length,
      judgedQueries: 0,
      judgments: 0,
      importedQueries: 0,
      rejected,
      warnings,
      preview: rendered.ids.slice(0, 20).map((id, i) => ({ id, text: rendered.texts[i]! })),
    },
  };
  if (data.judgments && parsedJudgments) {
    const parsed = parsedJudgments;
    out.judgments = parsed.judgments;
    out.judgmentLines = parsed.lines;
    out.judgmentsName = data.judgments.name;
    rejected.push(...parsed.warnings);
    out.summary.judgedQueries = parsed.judgments.size;
    out.summary.judgments = [...parsed.judgments.values()].reduce((n, m) => n + m.size, 0);
    const missing = [...parsed.judgments].flatMap(([q, m]) =>
      [...m.keys()].filter((d) => !out.rowOf.has(d)).map((d) => `${d} (${JSON.stringify(q)})`),
    );
    if (missing.length)
      warnings.push(`${data.judgments.name}: ${missing.length} judged docid(s) are not in the corpus: ${missing.slice(0, 5).join(', ')}`);
  }
  if (data.queries) {
    const parsed = parseQueries(data.queries.name, data.queries.text);
    out.queries = parsed.queries;
    rejected.push(...parsed.warnings);
    out.summary.importedQueries = parsed.queries.length;
  }
  return out;
}

/** Judgments restricted to the given queries (the supervised validation split). */
export function pickJudgments(judgments: Judgments, queries?: readonly string[]): Judgments {
  if (!queries) return judgments;
  const keep = new Set(queries);
  return new Map([...judgments].filter(([q]) => keep.has(q)));
}
