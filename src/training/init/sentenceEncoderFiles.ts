/**
 * What the from-scratch text encoders (initModel's BERT, initXlmRoberta) share: their size options with the
 * same defaults, and the folder they are written as — Hugging Face files plus sentence-transformers' mean
 * pooling + Normalize.
 */
import type { ModelFiles } from '../export/modelFiles.ts';
import { sentenceTransformersFiles } from '../export/sentenceFiles.ts';
import { writeSafetensors, type TensorMap } from '../weights/safetensors.ts';

export interface EncoderInitOptions {
  /** corpus the vocabulary is learned from */
  texts: readonly string[];
  hidden?: number;
  layers?: number;
  heads?: number;
  /** default 4 * hidden */
  intermediate?: number;
  /** upper bound; a small corpus yields fewer tokens */
  vocabSize?: number;
  /** sentence-transformers max_seq_length; default 128 */
  maxSeqLength?: number;
  seed?: number;
  /** random biases and LayerNorms too (parity tests); default false = Hugging Face init */
  perturbAll?: boolean;
  lowercase?: boolean;
}

export interface EncoderSizes {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxSeqLength: number;
}

/** The sizes with their defaults; `caller` names the function in the error an empty corpus raises. */
export function encoderSizes(opts: EncoderInitOptions, caller: string): EncoderSizes {
  if (!opts.texts.some((t) => t.trim() !== '')) throw new Error(`${caller}: texts is empty; the vocabulary is learned from them`);
  const hidden = opts.hidden ?? 128;
  return {
    hidden,
    layers: opts.layers ?? 2,
    heads: opts.heads ?? 4,
    intermediate: opts.intermediate ?? 4 * hidden,
    maxSeqLength: opts.maxSeqLength ?? 128,
  };
}

/** config.json, the tokenizer files, model.safetensors and the sentence-transformers files (mean, normalized). */
export function sentenceEncoderFiles(
  rawConfig: Record<string, unknown>,
  tokenizer: Record<string, string>,
  weights: TensorMap,
  sizes: Pick<EncoderSizes, 'hidden' | 'maxSeqLength'>,
): ModelFiles {
  const files: ModelFiles = new Map();
  files.set('config.json', JSON.stringify(rawConfig, null, 2) + '\n');
  for (const [name, text] of Object.entries(tokenizer)) files.set(name, text);
  files.set('model.safetensors', writeSafetensors(weights));
  const sentence = sentenceTransformersFiles({ maxSeqLength: sizes.maxSeqLength, pooling: 'mean', normalize: true }, sizes.hidden);
  for (const [name, text] of Object.entries(sentence)) files.set(name, text);
  return files;
}
