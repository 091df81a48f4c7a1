/** The product corpus as the data-step commands need it: products (for query generation) and rendered texts. */
import { corpusTexts, loadCorpusFiles, type Product } from '../../training/data/corpus.ts';
import { readInputFile } from '../inputs.ts';
import { CliError } from '../cliError.ts';

export interface CorpusInput {
  /** products that have text, aligned with ids/texts */
  products: Product[];
  ids: string[];
  texts: string[];
  rowOf: Map<string, number>;
}

export async function loadCorpusInput(files: string[], template: string): Promise<CorpusInput> {
  const corpus = loadCorpusFiles(await Promise.all(files.map(async (name) => ({ name, bytes: await readInputFile(name) }))));
  const rendered = corpusTexts(corpus.products, template);
  for (const w of [...corpus.warnings, ...rendered.warnings]) process.stderr.write(`warning: ${w}\n`);
  if (!corpus.products.length) throw new CliError(`${files.join(', ')}: the corpus is empty (no products)`);
  if (!rendered.ids.length)
    throw new CliError(`${files.join(', ')}: none of the ${corpus.products.length} products has text for template "${template}"`);
  const rowOf = new Map(rendered.ids.map((id, i) => [id, i]));
  const byId = new Map(corpus.products.map((p) => [p.id, p]));
  return { products: rendered.ids.map((id) => byId.get(id)!), ids: rendered.ids, texts: rendered.texts, rowOf };
}
