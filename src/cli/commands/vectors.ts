import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Command } from 'commander';
import { loadCorpusFiles } from '../../training/data/corpus.ts';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { sentenceForward } from '../forward.ts';
import { textVectorField, writeSolrDocuments, type Embedder, type VectorField } from '../../training/chorus/solrDocuments.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readInputFile } from '../inputs.ts';
import { progressReporter } from '../progress.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { defaultTextTemplate } from './evalSetup.ts';
import { loadOnnxTextEmbedder } from '../serve/onnxTextEmbedder.ts';
import { onnxDtypes, type OnnxDtype } from '../../training/export/onnxVariants.ts';
import { loadClipModel, openImageFolder } from '../pipeline/clipInputs.ts';
import { imageEmbedder, reportImageFailures } from '../pipeline/clipVectors.ts';
import type { Product } from '../../training/data/corpus.ts';

interface VectorsFlags {
  model: string;
  corpus: string[];
  field?: string;
  textTemplate: string;
  output: string;
  batchSize: string;
  engine: string;
  dtype?: string;
  dropMissing?: boolean;
  images?: string;
}

/** The vector field of an export: product text through a sentence model, or (--images) product images through a CLIP image tower. */
async function openField(
  o: VectorsFlags,
  products: readonly Product[],
  batchSize: number,
): Promise<{ field: VectorField; dispose: () => Promise<void> }> {
  if (!o.images) {
    const { embed, dispose } = await openEmbedder(o, batchSize);
    return { field: textVectorField(o.field ?? 'finetuned_product_vector', o.textTemplate, embed), dispose };
  }
  if (o.engine !== 'tfjs') throw new CliError(`--engine ${o.engine}: image vectors are computed with tfjs only`);
  const encoder = await loadClipModel(o.model);
  try {
    const images = await openImageFolder(
      o.images,
      encoder.imageConfig,
      products.map((p) => p.id),
    );
    const embed = imageEmbedder(encoder, images, batchSize);
    const field: VectorField = {
      field: o.field ?? 'finetuned_product_image_vector',
      input: (p) => (images.has(p.id) ? p.id : undefined),
      embed,
      describe: `image in ${o.images}`,
    };
    return {
      field,
      dispose: async () => {
        reportImageFailures(images);
        encoder.dispose();
      },
    };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}

/** A model's embedder for the export plus its disposer: tfjs (the lab's code path, the default) or onnxruntime (faster). */
async function openEmbedder(o: VectorsFlags, batchSize: number): Promise<{ embed: Embedder; dispose: () => Promise<void> }> {
  const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
  const source = await resolveModelSource(o.model);
  if (o.engine === 'onnx') {
    const dtype = o.dtype ?? 'fp32';
    if (!(onnxDtypes as readonly string[]).includes(dtype)) throw new CliError(`--dtype must be one of ${onnxDtypes.join(', ')}, got "${dtype}"`);
    const e = await loadOnnxTextEmbedder(source, { onWarning, dtype: dtype as OnnxDtype });
    return {
      async embed(texts) {
        const out: Float32Array[] = [];
        for (let i = 0; i < texts.length; i += batchSize) out.push(...(await e.embed(texts.slice(i, i + batchSize))));
        return out;
      },
      dispose: () => e.release(),
    };
  }
  if (o.engine !== 'tfjs') throw new CliError(`--engine must be tfjs or onnx, got "${o.engine}"`);
  if (o.dtype !== undefined) throw new CliError('--dtype picks an ONNX variant: use it with --engine onnx');
  const encoder = await loadSentenceEncoder(source, { onWarning });
  const forward = sentenceForward(encoder);
  return {
    embed: (texts) => forward.encode(texts, { batchSize }),
    dispose: async () => {
      await forward.release();
      encoder.dispose();
    },
  };
}

export function vectorsCommand(program: Command) {
  program
    .command('vectors')
    .description('write the corpus as Solr documents with a vector field added (JSON array for /solr/ecommerce/update)')
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .requiredOption('--corpus <files...>', 'products: Chorus .json.zip, .json arrays or .jsonl; several files are merged in order')
    .requiredOption('--output <file.json>', 'where to write the documents')
    .option('--field <name>', 'vector field name (default finetuned_product_vector; with --images finetuned_product_image_vector)')
    .option('--images <dir>', "CLIP: embed each product's image (<product id>.jpg/.png/.webp/.gif) with the image tower instead of its text")
    .option('--text-template <t>', 'product text to embed (use the one the model was trained with)', defaultTextTemplate)
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .option('--engine <name>', "tfjs (default, the lab's encoder) or onnx (onnxruntime-node, faster)", 'tfjs')
    .option(
      '--dtype <d>',
      'with --engine onnx: the ONNX variant, as ftlab serve --dtype (fp32, q8, int8, uint8, fp16), so product and query vectors match',
    )
    .option('--drop-missing', 'leave out products without text instead of writing them without a vector')
    .action(async (o: VectorsFlags) => {
      const batchSize = parseNumber(o.batchSize, '--batch-size', { integer: true, min: 1 });
      const corpus = loadCorpusFiles(await Promise.all(o.corpus.map(async (name) => ({ name, bytes: await readInputFile(name) }))));
      for (const w of corpus.warnings) process.stderr.write(`warning: ${w}\n`);
      const { field, dispose } = await openField(o, corpus.products, batchSize);
      // written next to the target and renamed at the end, so an interrupted run leaves no truncated file behind
      const partial = `${o.output}.partial`;
      const stream = createWriteStream(partial);
      const started = performance.now();
      try {
        const report = await writeSolrDocuments(
          corpus.products,
          [field],
          async (chunk) => {
            if (!stream.write(chunk)) await once(stream, 'drain');
          },
          { missing: o.dropMissing ? 'drop' : 'keep', chunkSize: Math.max(256, batchSize), onProgress: progressReporter('vectors') },
        );
        stream.end();
        await once(stream, 'finish');
        await rename(partial, o.output);
        for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
        const secs = (performance.now() - started) / 1000;
        const name = field.field;
        const dim = report.dimensions[name] ?? 0;
        process.stderr.write(
          `wrote ${report.written} documents (${name}: ${dim} dimensions, ${(corpus.products.length / secs).toFixed(1)} products/s) -> ${o.output}\n`,
        );
        process.stdout.write(
          JSON.stringify({ output: o.output, documents: report.written, field: name, dimension: dim, missing: report.missing[name]!.length }) + '\n',
        );
      } catch (e) {
        stream.destroy();
        await rm(partial, { force: true });
        throw e;
      } finally {
        await dispose();
      }
    });
}
