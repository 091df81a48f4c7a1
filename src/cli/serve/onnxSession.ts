/**
 * What the served ONNX text embedders (sentence models, CLIP's text tower) share: the graph from the folder or
 * built from model.safetensors, an onnxruntime-node session that must have the inputs and the output they
 * feed and read, and the rows of that [batch, width] output.
 */
import { onnxFileFor, onnxVariant, type OnnxDtype } from '../../training/export/onnxVariants.ts';
import * as ort from 'onnxruntime-node';
import type { ModelSource } from '../../training/source/modelSource.ts';
import { readSafetensors, type TensorMap } from '../../training/weights/safetensors.ts';

export interface OnnxEmbedderOptions {
  intraOpNumThreads?: number;
  onWarning?: (message: string) => void;
  /** the graph variant (ftlab export's onnx/*_quantized.onnx, …); default fp32 */
  dtype?: OnnxDtype;
}

/** The folder's graph `file` (its `opts.dtype` variant, made in memory when the folder lacks it) or, without one, `build` over model.safetensors (`graph` names it in the warning). */
export async function onnxGraphBytes(
  source: ModelSource,
  file: string,
  graph: string,
  build: (tensors: TensorMap, weightsFile: string) => Uint8Array,
  opts: OnnxEmbedderOptions = {},
): Promise<{ bytes: Uint8Array; onnx: 'file' | 'built' }> {
  const { onWarning, dtype = 'fp32' } = opts;
  if (dtype !== 'fp32') {
    const variant = onnxFileFor(file, dtype);
    if (await source.exists(variant)) return { bytes: await source.readBytes(variant), onnx: 'file' };
    const fp32 = await onnxGraphBytes(source, file, graph, build, { ...opts, dtype: 'fp32' });
    onWarning?.(`${source.id}: no ${variant}; made the ${dtype} variant of ${graph} in memory (ftlab export writes it)`);
    return { bytes: onnxVariant(fp32.bytes, dtype), onnx: 'built' };
  }
  if (await source.exists(file)) return { bytes: await source.readBytes(file), onnx: 'file' };
  if (!(await source.exists('model.safetensors'))) throw new Error(`${source.id}: neither ${file} nor model.safetensors found`);
  const weightsFile = `${source.id}/model.safetensors`;
  const tensors = readSafetensors(await source.readBytes('model.safetensors'), { source: weightsFile, onWarning });
  const bytes = build(tensors, weightsFile);
  onWarning?.(`${source.id}: no ${file}; built ${graph} from model.safetensors in memory (ftlab export writes it)`);
  return { bytes, onnx: 'built' };
}

/** A session over `bytes`; released again if it lacks input_ids, attention_mask or `output` (`where` names it). */
export async function openEmbeddingSession(
  bytes: Uint8Array,
  output: string,
  where: string,
  opts: OnnxEmbedderOptions,
): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
  });
  const missing = ['input_ids', 'attention_mask'].find((name) => !session.inputNames.includes(name));
  if (missing !== undefined || !session.outputNames.includes(output)) {
    await session.release();
    if (missing !== undefined) throw new Error(`${where}: the ONNX model has no input "${missing}" (inputs: ${session.inputNames.join(', ')})`);
    throw new Error(
      `${where}: the ONNX model has no "${output}" output (outputs: ${session.outputNames.join(', ')}); re-export it with ftlab export`,
    );
  }
  return session;
}

/** Tokenizer ids as the int64 [B, S] tensor the graphs take. */
export function int64Tensor(a: Int32Array, B: number, S: number): ort.Tensor {
  const ids = BigInt64Array.from(a, (v) => BigInt(v));
  return new ort.Tensor('int64', ids, [B, S]);
}

/** The first `count` rows of a [batch, width] output, whose width must be `dimension` (config.json's `configKey`). */
export function embeddingRows(t: ort.Tensor, count: number, dimension: number, where: string, configKey: string): Float32Array[] {
  const data = t.data as Float32Array;
  const D = Number(t.dims[1]);
  if (D !== dimension) throw new Error(`${where} has width ${D}, config.json ${configKey} ${dimension}`);
  const rows = Array.from({ length: count }, (_, i) => data.slice(i * D, (i + 1) * D));
  t.dispose();
  return rows;
}
