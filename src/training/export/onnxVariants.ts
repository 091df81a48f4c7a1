/**
 * The smaller ONNX variants beside each exported onnx/*.onnx, under the file names transformers.js picks
 * by `dtype` (`model_quantized.onnx` for 'q8', its default on WASM; `model_int8.onnx`, `model_uint8.onnx`,
 * `model_fp16.onnx`), so `pipeline('feature-extraction', id, { dtype })` and onnxruntime load them
 * unchanged. 'q8' carries the uint8-weight graph: onnxruntime runs uint8·uint8 products exactly on any x86
 * CPU, where uint8·int8 ones can saturate without VNNI.
 */
import type { ModelFiles } from './modelFiles.ts';
import { quantizeMatMulWeights, transformOnnx, withFloat16Weights } from './onnx/quantize.ts';

export const onnxDtypes = ['fp32', 'q8', 'int8', 'uint8', 'fp16'] as const;
export type OnnxDtype = (typeof onnxDtypes)[number];

const suffix: Record<OnnxDtype, string> = { fp32: '', q8: '_quantized', int8: '_int8', uint8: '_uint8', fp16: '_fp16' };

/** `onnx/model.onnx` → `onnx/model_int8.onnx` (and likewise for the CLIP towers). */
export function onnxFileFor(file: string, dtype: OnnxDtype): string {
  return file.replace(/\.onnx$/, `${suffix[dtype]}.onnx`);
}

/** Parses a comma-separated dtype list; the message names `what` and the allowed values. */
export function parseOnnxDtypes(list: string, what = '--dtypes'): OnnxDtype[] {
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = out.filter((d) => !(onnxDtypes as readonly string[]).includes(d));
  if (bad.length || !out.length) throw new Error(`${what}: ${bad.length ? `unknown dtype "${bad[0]}"` : 'empty'}; use ${onnxDtypes.join(', ')}`);
  return [...new Set(out)] as OnnxDtype[];
}

/** The `dtype` variant of a float32 graph. */
export function onnxVariant(fp32: Uint8Array, dtype: OnnxDtype): Uint8Array {
  if (dtype === 'fp32') return fp32;
  if (dtype === 'fp16') return transformOnnx(fp32, withFloat16Weights);
  return transformOnnx(fp32, (m) => quantizeMatMulWeights(m, dtype === 'int8' ? 'int8' : 'uint8'));
}

/** Adds the variants of every float32 onnx/*.onnx in `files` (the float32 graphs stay: sentence-transformers loads them). */
export function addOnnxVariants(files: ModelFiles, dtypes: readonly OnnxDtype[]): void {
  const graphs = [...files.keys()].filter((f) => /^onnx\/[^/]+\.onnx$/.test(f) && !/_(quantized|int8|uint8|fp16)\.onnx$/.test(f));
  for (const file of graphs) {
    const bytes = files.get(file) as Uint8Array;
    for (const d of dtypes) if (d !== 'fp32') files.set(onnxFileFor(file, d), onnxVariant(bytes, d));
  }
}
