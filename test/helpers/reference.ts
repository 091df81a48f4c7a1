import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseBertConfig, type BertConfig } from '../../src/training/models/bert/bertConfig.ts';
import type { BertInputs } from '../../src/training/models/bert/bert.ts';
import { writeSafetensors, type TensorMap } from '../../src/training/weights/safetensors.ts';
import { runPythonReference } from './pythonReference.ts';

/** hidden 32, 2 layers, 4 heads: big enough to exercise every code path, small enough for fast tests. */
export function tinyBertConfig(overrides: Record<string, unknown> = {}): BertConfig {
  return parseBertConfig({
    vocab_size: 50,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 48,
    max_position_embeddings: 24,
    type_vocab_size: 2,
    ...overrides,
  });
}

/** A model folder (config.json + model.safetensors) in a temp dir; call the returned cleanup when done. */
export function writeModelDir(config: BertConfig, weights: TensorMap): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ftlab-bert-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(weights));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TokenBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}

/** Right-pads id rows with `pad` (mask 0); `types[i][j]` gives token types (0 when absent). */
export function tokenBatch(rows: number[][], types: number[][] = [], pad = 0): TokenBatch {
  const S = Math.max(...rows.map((r) => r.length));
  const fill = (r: number[], v: number) => [...r, ...Array<number>(S - r.length).fill(v)];
  return {
    input_ids: rows.map((r) => fill(r, pad)),
    attention_mask: rows.map((r) =>
      fill(
        r.map(() => 1),
        0,
      ),
    ),
    token_type_ids: rows.map((r, i) => fill(types[i] ?? r.map(() => 0), 0)),
  };
}

export function batchTensors(b: TokenBatch): BertInputs {
  return {
    inputIds: tf.tensor2d(b.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(b.attention_mask, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(b.token_type_ids, undefined, 'int32'),
  };
}

export interface ReferenceRequest {
  model_dir: string;
  mode?: 'forward' | 'fd';
  batches: TokenBatch[];
  pooling?: 'mean' | 'cls' | 'max';
  normalize?: boolean;
  w?: number[][][];
  coords?: [string, number][];
  eps?: number;
}

export interface ReferenceForward {
  results: { last_hidden_state: number[][][]; sentence_embedding: number[][]; all_poolings: Record<string, number[][]> }[];
}

export interface ReferenceFd {
  loss: number;
  grads: number[];
}

/**
 * Runs test/reference/bert_reference.py (float64 numpy) once for several requests (JSON on stdin):
 * starting python + numpy costs seconds on a loaded machine, so tests batch their questions.
 */
export function runReferences(reqs: ReferenceRequest[]): (ReferenceForward | ReferenceFd)[] {
  return runPythonReference('bert_reference.py', reqs);
}

export function runReference(req: ReferenceRequest & { mode: 'fd' }): ReferenceFd;
export function runReference(req: ReferenceRequest): ReferenceForward;
export function runReference(req: ReferenceRequest): ReferenceForward | ReferenceFd {
  return runReferences([req])[0]!;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
