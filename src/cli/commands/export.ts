import type { Command } from 'commander';
import { familyForType, loadSentenceEncoder } from '../../training/families/registry.ts';
import { exportCrossEncoder } from '../../training/export/exportCrossEncoder.ts';
import { loadCrossEncoder, type TfjsCrossEncoder } from '../../training/models/crossEncoder.ts';
import { readJson } from '../../training/source/modelSource.ts';
import { resolveModelSource } from '../folderSource.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { exportClipModel } from '../../training/export/exportClipModel.ts';
import { loadClipModel } from '../pipeline/clipInputs.ts';
import { applyWiseFt, checkWiseAlpha } from '../../training/models/wiseFt.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { checkTruncateDim } from '../../training/models/truncateDim.ts';
import { addOnnxVariants, onnxDtypes, parseOnnxDtypes, type OnnxDtype } from '../../training/export/onnxVariants.ts';
import type { ModelFiles } from '../../training/export/modelFiles.ts';

function wiseOptions(o: { wiseAlpha?: string; wiseBase?: string }): { alpha: number; base: string } | undefined {
  if (o.wiseAlpha === undefined) {
    if (o.wiseBase !== undefined) throw new CliError('--wise-base needs --wise-alpha (the share of the fine-tuned weights)');
    return undefined;
  }
  if (o.wiseBase === undefined) throw new CliError('--wise-alpha needs --wise-base: the model the fine-tune started from');
  const alpha = Number(o.wiseAlpha);
  try {
    return { alpha: checkWiseAlpha(alpha, '--wise-alpha'), base: o.wiseBase };
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function cliDtypes(list: string): OnnxDtype[] {
  try {
    return parseOnnxDtypes(list);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** --truncate-dim as an integer from 1 to the hidden size. */
export function cliTruncateDim(value: string, hidden: number, flag = '--truncate-dim'): number {
  try {
    return checkTruncateDim(parseNumber(value, flag, { integer: true, min: 1 }), hidden, flag);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function isCrossEncoder(config: Record<string, unknown>): boolean {
  const archs = config.architectures;
  return Array.isArray(archs) && archs.some((a) => String(a).endsWith('ForSequenceClassification'));
}

/** Runs `use` on a loaded model, then frees it. */
async function withModel<M extends { dispose(): void }>(loading: Promise<M>, use: (m: M) => void): Promise<void> {
  const m = await loading;
  try {
    use(m);
  } finally {
    m.dispose();
  }
}

export function exportCommand(program: Command) {
  program
    .command('export')
    .description(
      'write a model as a folder for sentence-transformers, transformers.js and onnxruntime (onnx/model.onnx); a cross-encoder (BertForSequenceClassification) gets the transformers.js text-classification layout, a CLIP model onnx/text_model.onnx + onnx/vision_model.onnx',
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hub id')
    .requiredOption('--output <dir>', 'export folder')
    .option(
      '--dtypes <list>',
      `ONNX variants beside onnx/*.onnx, by transformers.js dtype (${onnxDtypes.join(', ')}; fp32 is always written)`,
      'fp32,q8,int8,fp16',
    )
    .option('--wise-alpha <a>', 'WiSE-FT: export (1 − a)·base + a·model, from 0 (the base) to 1 (the model as trained); needs --wise-base')
    .option('--wise-base <dir|hub id>', 'WiSE-FT: the model the fine-tune started from (same architecture)')
    .option(
      '--truncate-dim <n>',
      'Matryoshka: ship the first n dimensions (truncate_dim in config_sentence_transformers.json, the ONNX sentence_embedding cut and re-normalized); the hidden size keeps them all',
    )
    .action(async (o: { model: string; output: string; dtypes: string; wiseAlpha?: string; wiseBase?: string; truncateDim?: string }) => {
      const dtypes = cliDtypes(o.dtypes);
      const write = async (files: ModelFiles) => {
        addOnnxVariants(files, dtypes);
        await writeModelFiles(o.output, files);
      };
      const source = await resolveModelSource(o.model);
      const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
      const config = await readJson(source, 'config.json');
      const wise = wiseOptions(o);
      if (o.truncateDim !== undefined && (config.model_type === 'clip' || isCrossEncoder(config)))
        throw new CliError('--truncate-dim applies to sentence (bi-encoder) models, whose embeddings are trained with MatryoshkaLoss');
      if (config.model_type === 'clip') {
        const clip = await loadClipModel(o.model, 'export');
        try {
          if (wise)
            await withModel(loadClipModel(wise.base, '--wise-base'), (b) => applyWiseFt(clip.model.params, b.model.params, wise.alpha, wise.base));
          await write(await exportClipModel(clip, { baseModel: o.model, ...(wise && { wiseFt: wise }) }));
          process.stderr.write(`exported CLIP model ${o.model} to ${o.output}\n`);
        } finally {
          clip.dispose();
        }
        return;
      }
      if (isCrossEncoder(config)) {
        if (wise) throw new CliError('--wise-alpha: WiSE-FT applies to bi-encoders and CLIP models, not to a cross-encoder');
        const ce = (await loadCrossEncoder(source, { backend: 'tfjs', onWarning })) as TfjsCrossEncoder;
        try {
          await write(await exportCrossEncoder(ce));
          process.stderr.write(`exported cross-encoder ${o.model} to ${o.output}\n`);
        } finally {
          ce.dispose();
        }
        return;
      }
      const encoder = await loadSentenceEncoder(source, { onWarning });
      try {
        if (wise) {
          const base = loadSentenceEncoder(await resolveModelSource(wise.base), { onWarning });
          await withModel(base, (b) => applyWiseFt(encoder.model.params, b.model.params, wise.alpha, wise.base));
        }
        if (o.truncateDim !== undefined) {
          const hidden = encoder.model.config.hidden_size;
          const d = cliTruncateDim(o.truncateDim, hidden);
          encoder.config = { ...encoder.config, truncateDim: d < hidden ? d : undefined };
        }
        const card = { baseModel: o.model, ...(wise && { wiseFt: wise }) };
        await write(await familyForType(encoder.modelConfig.model_type).exportFiles(encoder, card));
        process.stderr.write(`exported ${o.model} to ${o.output}\n`);
      } finally {
        encoder.dispose();
      }
    });
}
