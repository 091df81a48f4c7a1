import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { exportSentenceModel } from '../../training/export/exportSentenceModel.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';

export function exportCommand(program: Command) {
  program
    .command('export')
    .description('write a model as a folder for sentence-transformers, transformers.js and onnxruntime (onnx/model.onnx)')
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .requiredOption('--output <dir>', 'export folder')
    .action(async (o: { model: string; output: string }) => {
      const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
      try {
        await writeModelFiles(o.output, exportSentenceModel(encoder, { baseModel: o.model }));
        process.stderr.write(`exported ${o.model} to ${o.output}\n`);
      } finally {
        encoder.dispose();
      }
    });
}
