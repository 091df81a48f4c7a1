import type { Command } from 'commander';
import { familyForType, loadSentenceEncoder } from '../../training/families/registry.ts';
import { exportCrossEncoder } from '../../training/export/exportCrossEncoder.ts';
import { loadCrossEncoder, type TfjsCrossEncoder } from '../../training/models/crossEncoder.ts';
import { readJson } from '../../training/source/modelSource.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { exportClipModel } from '../../training/export/exportClipModel.ts';
import { loadClipModel } from '../pipeline/clipInputs.ts';

export function exportCommand(program: Command) {
  program
    .command('export')
    .description(
      'write a model as a folder for sentence-transformers, transformers.js and onnxruntime (onnx/model.onnx); a cross-encoder (BertForSequenceClassification) gets the transformers.js text-classification layout, a CLIP model onnx/text_model.onnx + onnx/vision_model.onnx',
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .requiredOption('--output <dir>', 'export folder')
    .action(async (o: { model: string; output: string }) => {
      const source = await resolveModelSource(o.model);
      const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
      const config = await readJson(source, 'config.json');
      if (config.model_type === 'clip') {
        const clip = await loadClipModel(o.model, 'export');
        try {
          await writeModelFiles(o.output, await exportClipModel(clip, { baseModel: o.model }));
          process.stderr.write(`exported CLIP model ${o.model} to ${o.output}\n`);
        } finally {
          clip.dispose();
        }
        return;
      }
      const archs = config.architectures;
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
        await writeModelFiles(o.output, await familyForType(encoder.modelConfig.model_type).exportFiles(encoder, { baseModel: o.model }));
        process.stderr.write(`exported ${o.model} to ${o.output}\n`);
      } finally {
        encoder.dispose();
      }
    });
}
