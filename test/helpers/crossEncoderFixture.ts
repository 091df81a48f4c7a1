import { initModel, type InitModelOptions } from '../../src/training/init/initModel.ts';
import { tinyTrainingCorpus } from './fixtures.ts';
import { modelFolder } from './modelFolder.ts';
import { runPythonReference } from './pythonReference.ts';
import type { TokenBatch as RefBatch } from './reference.ts';

export type TinyCrossEncoderOptions = Partial<InitModelOptions>;

/**
 * A tiny random cross-encoder in Hugging Face layout (BertForSequenceClassification: config.json with
 * architectures/id2label, tokenizer files, model.safetensors with `bert.*` + `classifier.*`; hidden 32,
 * 2 layers, every parameter random, O(1) logits). Shared per options within a process: treat as read-only.
 */
export function makeTinyCrossEncoder(opts: TinyCrossEncoderOptions = {}): Promise<string> {
  const build = () =>
    initModel({
      texts: tinyTrainingCorpus,
      hidden: 32,
      layers: 2,
      heads: 4,
      vocabSize: 300,
      perturbAll: true,
      architecture: 'BertForSequenceClassification',
      ...opts,
    });
  return modelFolder('ftlab-ce-', opts, build);
}

/** float64 numpy logits ([B, num_labels] per batch) from test/reference/cross_encoder_reference.py. */
export function crossEncoderReference(modelDir: string, batches: RefBatch[]): number[][][] {
  return runPythonReference<{ logits: number[][][] }[]>('cross_encoder_reference.py', [{ model_dir: modelDir, batches }])[0]!.logits;
}
