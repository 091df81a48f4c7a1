import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { resolveModelSource } from '../folderSource.ts';
import { readTexts } from '../inputs.ts';
import { progressReporter } from '../progress.ts';
import { parseNumber } from '../cliError.ts';

export function embedCommand(program: Command) {
  program
    .command('embed')
    .description('embed texts with a sentence-transformers model (normalized as the model says)')
    .requiredOption('--model <dir|hub id>', 'model folder or Hugging Face Hub id')
    .requiredOption('--input <file>', 'file.txt (one text per line) or file.jsonl (rows with "text")')
    .requiredOption('--output <file.json>', 'where to write {"model", "dim", "embeddings"}')
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .action(async (o: { model: string; input: string; output: string; batchSize: string }) => {
      const texts = await readTexts(o.input);
      const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
      try {
        const vectors = await encoder.encode(texts, {
          batchSize: parseNumber(o.batchSize, '--batch-size', { integer: true, min: 1 }),
          onProgress: progressReporter('embed'),
        });
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
