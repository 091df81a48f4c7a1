/** `ftlab prepare clip`: (text, image) rows for --loss clip from a catalogue and its image folder, or from judgments. */
import path from 'node:path';
import type { Command } from 'commander';
import Papa from 'papaparse';
import { preview } from '../../training/data/corpus.ts';
import { defaultClipTextTemplate, formatClipRows, supervisedClipRows, unsupervisedClipRows } from '../../training/data/clipRows.ts';
import { parseJudgments, type Judgments } from '../../training/data/judgments.ts';
import { defaultClipImageConfig } from '../../training/images/clipImageProcessor.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { openImageFolder, readProducts } from './clipInputs.ts';
import { writeFileAtomic } from './workDir.ts';

interface PrepareClipFlags {
  corpus: string[];
  images: string;
  output: string;
  textTemplate: string;
  judgments?: string;
  threshold: string;
  validation: string;
  seed: string;
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

function judgmentsCsv(judgments: Judgments, queries: readonly string[]): string {
  const rows = queries.flatMap((q) => [...(judgments.get(q) ?? [])].map(([docid, rating]) => [q, docid, rating]));
  return `${Papa.unparse({ fields: ['query', 'docid', 'rating'], data: rows }, { newline: '\n' })}\n`;
}

async function prepareClip(o: PrepareClipFlags): Promise<void> {
  const products = await readProducts(o.corpus);
  // only the folder listing is needed here: nothing is decoded, so any preprocessing config will do
  const images = await openImageFolder(
    o.images,
    defaultClipImageConfig(),
    products.map((p) => p.id),
  );
  const hasImage = (id: string) => images.has(id);
  if (images.index.unmatched.length)
    warn(`${images.index.unmatched.length} image file(s) in ${o.images} match no product id: ${preview(images.index.unmatched)}`);
  if (!o.judgments) {
    const out = unsupervisedClipRows(products, hasImage, o.textTemplate);
    if (out.withoutImage.length)
      warn(`${out.withoutImage.length} of ${products.length} products have no image in ${o.images} and give no row: ${preview(out.withoutImage)}`);
    if (out.withoutText.length) warn(`${out.withoutText.length} products have no text for template "${o.textTemplate}": ${preview(out.withoutText)}`);
    if (!out.rows.length) throw new CliError(`no product has both an image in ${o.images} and text for template "${o.textTemplate}"`);
    await writeFileAtomic(o.output, formatClipRows(out.rows));
    process.stderr.write(
      `wrote ${out.rows.length} (product text, product image) rows to ${o.output} (train with --loss clip --images ${o.images})\n`,
    );
    return;
  }
  const validation = parseNumber(o.validation, '--validation', { min: 0 });
  if (validation > 1) throw new CliError(`--validation must be a fraction in [0, 1], got "${o.validation}"`);
  const parsed = parseJudgments(await readTextFile(o.judgments), o.judgments);
  parsed.warnings.forEach(warn);
  const known = new Set(products.map((p) => p.id));
  const out = supervisedClipRows(parsed.judgments, (id) => known.has(id) && hasImage(id), {
    minRating: parseNumber(o.threshold, '--threshold'),
    validationFraction: validation,
    seed: parseNumber(o.seed, '--seed', { integer: true, min: 0 }),
  });
  if (out.withoutImage.length)
    warn(
      `${out.withoutImage.length} relevant judged product(s) have no image (or are not in the corpus) and give no row: ${preview(out.withoutImage)}`,
    );
  if (out.queriesWithoutRows.length)
    warn(
      `${out.queriesWithoutRows.length} judged quer${out.queriesWithoutRows.length === 1 ? 'y has' : 'ies have'} no relevant product with an image: ${preview(out.queriesWithoutRows)}`,
    );
  if (!out.train.length) throw new CliError('no training rows: every query went to validation');
  await writeFileAtomic(path.join(o.output, 'train.jsonl'), formatClipRows(out.train));
  if (out.validationQueries.length) {
    await writeFileAtomic(path.join(o.output, 'validation.jsonl'), formatClipRows(out.validation));
    await writeFileAtomic(path.join(o.output, 'validation-judgments.csv'), judgmentsCsv(parsed.judgments, out.validationQueries));
  }
  process.stderr.write(
    `clip supervised: ${out.train.length} train rows (${out.trainQueries.length} queries), ` +
      `${out.validation.length} validation rows (${out.validationQueries.length} queries) -> ${o.output}\n`,
  );
}

export function prepareClipCommand(prepare: Command): void {
  prepare
    .command('clip')
    .description(
      '(text, image) rows for --loss clip: each product text with its own image, or with --judgments each query with the images of its relevant products (split by query)',
    )
    .requiredOption('--corpus <files...>', 'products: Chorus JSON arrays, .json.zip, .jsonl or .csv')
    .requiredOption('--images <dir>', 'product images named <product id>.jpg/.png/.webp/.gif')
    .requiredOption('--output <path>', 'rows file (.jsonl); with --judgments a folder: train.jsonl, validation.jsonl, validation-judgments.csv')
    .option('--text-template <t>', 'product text paired with the image', defaultClipTextTemplate)
    .option('--judgments <file.csv>', 'supervised rows: query,docid,rating')
    .option('--threshold <n>', 'with --judgments: rating at or above which a product image is a positive', '2')
    .option('--validation <fraction>', 'with --judgments: share of queries held out', '0.2')
    .option('--seed <n>', 'split seed', '42')
    .action(prepareClip);
}
