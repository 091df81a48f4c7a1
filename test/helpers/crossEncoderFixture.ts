import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { folderSource } from '../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../src/cli/writeModelFiles.ts';
import { exportCrossEncoder } from '../../src/training/export/exportCrossEncoder.ts';
import { initModel, type InitModelOptions } from '../../src/training/init/initModel.ts';
import { loadCrossEncoder, type TfjsCrossEncoder } from '../../src/training/models/crossEncoder.ts';
import { tinyTrainingCorpus } from './fixtures.ts';
import type { TokenBatch as RefBatch } from './reference.ts';

export type TinyCrossEncoderOptions = Partial<InitModelOptions>;

const cache = new Map<string, Promise<string>>();

function cached(key: string, make: () => Promise<string>): Promise<string> {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key)!;
}

/**
 * A tiny random cross-encoder in Hugging Face layout (BertForSequenceClassification: config.json with
 * architectures/id2label, tokenizer files, model.safetensors with `bert.*` + `classifier.*`; hidden 32,
 * 2 layers, every parameter random, O(1) logits). Shared per options within a process: treat as read-only.
 */
export function makeTinyCrossEncoder(opts: TinyCrossEncoderOptions = {}): Promise<string> {
  return cached(`hf:${JSON.stringify(opts)}`, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-ce-'));
    await writeModelFiles(
      dir,
      initModel({
        texts: tinyTrainingCorpus,
        hidden: 32,
        layers: 2,
        heads: 4,
        vocabSize: 300,
        perturbAll: true,
        architecture: 'BertForSequenceClassification',
        ...opts,
      }),
    );
    return dir;
  });
}

/** The same tiny cross-encoder exported by ftlab for transformers.js (adds onnx/model.onnx); an absolute path. */
export function makeTinyCrossEncoderOnnx(opts: TinyCrossEncoderOptions = {}): Promise<string> {
  return cached(`onnx:${JSON.stringify(opts)}`, async () => {
    const ce = (await loadCrossEncoder(folderSource(await makeTinyCrossEncoder(opts)))) as TfjsCrossEncoder;
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-ce-onnx-'));
      await writeModelFiles(dir, await exportCrossEncoder(ce));
      return dir;
    } finally {
      ce.dispose();
    }
  });
}

const script = path.join(import.meta.dirname, '..', 'reference', 'cross_encoder_reference.py');

/** float64 numpy logits ([B, num_labels] per batch) from test/reference/cross_encoder_reference.py. */
export function crossEncoderReference(modelDir: string, batches: RefBatch[]): number[][][] {
  const out = execFileSync('python3', [script], { input: JSON.stringify([{ model_dir: modelDir, batches }]), encoding: 'utf8', maxBuffer: 64 << 20 });
  return (JSON.parse(out) as { logits: number[][][] }[])[0]!.logits;
}
