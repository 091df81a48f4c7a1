import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import type { EncodeOptions } from '../../training/eval/evaluator.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTexts } from '../inputs.ts';
import { progressReporter } from '../progress.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { isClipModel, loadClipModel } from '../pipeline/clipInputs.ts';
import { embedImageFolder } from '../pipeline/clipVectors.ts';
import { sentenceForward } from '../forward.ts';

interface EmbedFlags {
  model: string;
  input?: string;
  images?: string;
  output: string;
  batchSize: string;
}

/** A text encoder and its disposer: a sentence model, or a CLIP model's text tower. */
async function openTextEncoder(model: string): Promise<{ encode(texts: string[], o: EncodeOptions): Promise<Float32Array[]>; dispose(): void }> {
  if (await isClipModel(model)) return loadClipModel(model, 'embed');
  const encoder = await loadSentenceEncoder(await resolveModelSource(model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  const forward = sentenceForward(encoder);
  return {
    encode: (texts, o) => forward.encode(texts, o),
    dispose: () => void forward.release().finally(() => encoder.dispose()),
  };
}

export function embedCommand(program: Command) {
  program
    .command('embed')
    .description(
      'embed texts with a sentence-transformers model (normalized as the model says) or a CLIP text tower; with --images, a folder of images with a CLIP image tower',
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hugging Face Hub id')
    .option('--input <file>', 'file.txt (one text per line) or file.jsonl (rows with "text")')
    .option('--images <dir>', 'CLIP: embed every image in the folder instead (ids are the file names without extension)')
    .requiredOption('--output <file.json>', 'where to write {"model", "dim", "embeddings"} (with --images also "ids")')
    .option('--batch-size <n>', 'texts or images per forward pass', '32')
    .action(async (o: EmbedFlags) => {
      const batchSize = parseNumber(o.batchSize, '--batch-size', { integer: true, min: 1 });
      if (!o.input === !o.images) throw new CliError('embed needs either --input <file> (texts) or --images <dir> (CLIP images)');
      if (o.images) return embedImageFolder({ model: o.model, images: o.images, output: o.output, batchSize });
      const texts = await readTexts(o.input!);
      const encoder = await openTextEncoder(o.model);
      try {
        const vectors = await encoder.encode(texts, { batchSize, onProgress: progressReporter('embed') });
        const dim = vectors[0]?.length ?? 0;
        // One row per line keeps big files diffable and avoids one giant JSON.stringify string.
        const rows = vectors.map((v) => JSON.stringify(Array.from(v)));
        await writeFile(o.output, `{"model": ${JSON.stringify(o.model)}, "dim": ${dim}, "embeddings": [\n${rows.join(',\n')}\n]}\n`);
        process.stderr.write(`embedded ${texts.length} texts (dim ${dim}) -> ${o.output}\n`);
      } finally {
        encoder.dispose();
      }
    });
}
