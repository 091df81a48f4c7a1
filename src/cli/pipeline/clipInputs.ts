/**
 * What the CLIP commands share: loading a CLIP model (with a clear error for a sentence model), an image
 * folder as an ImageProvider, and text→image evaluation with progress on stderr.
 */
import { stat } from 'node:fs/promises';
import { loadCorpusFiles, type Product } from '../../training/data/corpus.ts';
import { parseJudgments } from '../../training/data/judgments.ts';
import type { EvaluationResult } from '../../training/eval/evaluator.ts';
import { ImageRetrievalEvaluator, type ImageEncoderLike } from '../../training/eval/imageRetrievalEvaluator.ts';
import type { ClipImageConfig } from '../../training/images/clipImageProcessor.ts';
import type { ClipEncoder } from '../../training/models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../../training/models/clip/loadClip.ts';
import { modelTypeOf } from '../../training/families/registry.ts';
import { folderImageProvider, type FolderImageProvider } from '../images/folderImageProvider.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readInputFile, readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { reportedEvaluation } from './evaluation.ts';

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

export async function isClipModel(model: string): Promise<boolean> {
  return (await modelTypeOf(await resolveModelSource(model))) === 'clip';
}

/** Loads a CLIPModel folder or Hub id; any other model type is a CliError saying what was expected. */
export async function loadClipModel(model: string, flag = '--images'): Promise<ClipEncoder> {
  const source = await resolveModelSource(model);
  const type = await modelTypeOf(source);
  if (type !== 'clip') {
    throw new CliError(
      `${model}: model_type is "${type || 'missing'}", not a CLIP model; ${flag} needs a CLIP model (ftlab init --clip makes a small one)`,
    );
  }
  return loadClipEncoder(source, { onWarning: warn });
}

/**
 * The image folder as an ImageProvider keyed by product id (`<id>.jpg|png|webp|gif`), optionally limited to
 * `ids`. Images are decoded lazily, so opening a folder of 20,000 photos costs one directory listing.
 */
export async function openImageFolder(dir: string, config: ClipImageConfig, ids?: readonly string[]): Promise<FolderImageProvider> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    throw new CliError(`--images ${dir}: folder not found`);
  }
  if (!isDir) throw new CliError(`--images ${dir}: is a file, expected a folder of product images named <product id>.jpg/.png/.webp/.gif`);
  const provider = await folderImageProvider(dir, config, ids ? { ids: [...ids] } : {});
  if (!provider.keys().length) {
    throw new CliError(
      `--images ${dir}: no image${ids ? ` for any of the ${ids.length} products` : 's'} (expected files named <product id>.jpg/.png/.webp/.gif)`,
    );
  }
  return provider;
}

export async function readProducts(files: string[]): Promise<Product[]> {
  const corpus = loadCorpusFiles(await Promise.all(files.map(async (name) => ({ name, bytes: await readInputFile(name) }))));
  corpus.warnings.forEach(warn);
  if (!corpus.products.length) throw new CliError(`${files.join(', ')}: the corpus is empty (no products)`);
  return corpus.products;
}

export interface ImageEvaluationFlags {
  corpus: string[];
  judgments: string;
  images: string;
  k?: string;
  relevance?: string;
  batchSize?: string;
}

export interface CliImageEvaluation {
  evaluate(encoder: ImageEncoderLike): Promise<EvaluationResult>;
}

/** Text→image retrieval over the corpus products that have an image in the folder (see ImageRetrievalEvaluator). */
export async function imageEvaluation(o: ImageEvaluationFlags, config: ClipImageConfig): Promise<CliImageEvaluation> {
  const products = await readProducts(o.corpus);
  const judgments = parseJudgments(await readTextFile(o.judgments), o.judgments);
  judgments.warnings.forEach(warn);
  const images = await openImageFolder(
    o.images,
    config,
    products.map((p) => p.id),
  );
  const ids = products.map((p) => p.id).filter((id) => images.has(id));
  if (ids.length < products.length)
    warn(`${products.length - ids.length} of ${products.length} products have no image in ${o.images}; the image corpus has ${ids.length}`);
  const evaluator = new ImageRetrievalEvaluator(ids, images, judgments.judgments, {
    k: parseNumber(o.k ?? '10', '--k', { integer: true, min: 1 }),
    relevanceThreshold: parseNumber(o.relevance ?? '2', '--relevance'),
    batchSize: o.batchSize === undefined ? undefined : parseNumber(o.batchSize, '--batch-size', { integer: true, min: 1 }),
  });
  return { evaluate: (encoder) => reportedEvaluation('images', (onProgress) => evaluator.evaluate(encoder, { onProgress })) };
}
