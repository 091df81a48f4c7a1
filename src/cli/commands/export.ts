import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/models/registry.ts';
import { exportSentenceModel } from '../../training/export/exportSentenceModel.ts';
import { exportCrossEncoder } from '../../training/export/exportCrossEncoder.ts';
import { loadCrossEncoder, type TfjsCrossEncoder } from '../../training/models/crossEncoder.ts';
import { readJson } from '../../training/source/modelSource.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';

export function exportCommand(program: Command) {
  program
    .command('export')
    .description('write a model as a folder for sentence-transformers, transformers.js and onnxruntime (onnx/model.onnx); a cross-encoder (BertForSequenceClassification) gets the transformers.js text-classification layout')
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .requiredOption('--output <dir>', 'export folder')
    .action(async (o: { model: string; output: string }) => {
      const source = await resolveModelSource(o.model);
      const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
      const archs = (await readJson(source, 'config.json')).architectures;
      if (Array.isArray(archs) && archs.some((a) => String(a).endsWith('ForSequenceClassification'))) {
        const ce = (await loadCrossEncoder(source, { backend: 'tfjs', onWarning })) as TfjsCrossEncoder;
        try {
          await writeModelFiles(o.output, await exportCrossEncoder(ce));
          process.stderr.write(`exported cross-encoder ${o.model} to ${o.output}\n`);
        } finally {
          ce.dispose();
        }
        return;
      }
      const encoder = await loadSentenceEncoder(source, { onWarning });
      try {
        await writeModelFiles(o.output, await exportSentenceModel(encoder, { baseModel: o.model }));
        process.stderr.write(`exported ${o.model} to ${o.output}\n`);
      } finally {
        encoder.dispose();
      }
    });
}
