/**
 * Test-side ONNX helpers: a structural checker (there is no Python onnx package here), a float64
 * reference of HF BertModel + sentence-transformers pooling, and an onnxruntime-node runner.
 */
import * as ort from 'onnxruntime-node';
import { onnx, type OnnxTypes } from '../../src/training/export/onnx/proto.ts';
import { tensorValues } from '../../src/training/export/onnx/tensors.ts';
import type { BertConfig } from '../../src/training/models/bert/bertConfig.ts';
import type { TensorMap } from '../../src/training/weights/safetensors.ts';

export interface Batch {
  ids: number[][];
  mask: number[][];
  types: number[][];
}
export interface PoolConfig {
  pooling: 'mean' | 'cls' | 'max';
  normalize: boolean;
}

const F = 1,
  U8 = 2,
  I8 = 3,
  I32 = 6,
  I64 = 7,
  BOOL = 9,
  F16 = 10;
/** bytes per element of the initializer dtypes ftlab writes */
const WIDTH: Record<number, number> = { [F]: 4, [I64]: 8, [U8]: 1, [I8]: 1, [F16]: 2 };
/** Ops the checker understands: opset version that introduced the semantics used, and output dtype rule. */
const OPS: Record<
  string,
  {
    since: number;
    until?: number;
    attrs: string[];
    out: (ins: number[], a: Map<string, OnnxTypes.IAttributeProto>, k: number) => number;
    same?: number[];
  }
> = {
  Add: { since: 14, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  Sub: { since: 14, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  Mul: { since: 14, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  Div: { since: 14, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  Max: { since: 13, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  MatMul: { since: 13, attrs: [], out: (t) => t[0]!, same: [0, 1] },
  Erf: { since: 13, attrs: [], out: (t) => t[0]! },
  Tanh: { since: 13, attrs: [], out: (t) => t[0]! },
  Relu: { since: 14, attrs: [], out: (t) => t[0]! },
  Sqrt: { since: 13, attrs: [], out: (t) => t[0]! },
  Identity: { since: 16, attrs: [], out: (t) => t[0]! },
  Softmax: { since: 13, attrs: ['axis'], out: (t) => t[0]! },
  LayerNormalization: { since: 17, attrs: ['axis', 'epsilon', 'stash_type'], out: (t) => t[0]!, same: [0, 1, 2] },
  Gather: { since: 13, attrs: ['axis'], out: (t) => t[0]! },
  Shape: { since: 15, attrs: ['start', 'end'], out: () => I64 },
  Slice: { since: 13, attrs: [], out: (t) => t[0]!, same: [1, 2, 3] },
  Reshape: { since: 14, attrs: ['allowzero'], out: (t) => t[0]! },
  Transpose: { since: 13, attrs: ['perm'], out: (t) => t[0]! },
  Unsqueeze: { since: 13, attrs: [], out: (t) => t[0]! },
  Cast: { since: 13, attrs: ['to'], out: (_, a) => Number(a.get('to')!.i) },
  Equal: { since: 13, attrs: [], out: () => BOOL, same: [0, 1] },
  Where: { since: 16, attrs: [], out: (t) => t[1]!, same: [1, 2] },
  ReduceSum: { since: 13, attrs: ['keepdims', 'noop_with_empty_axes'], out: (t) => t[0]! },
  ReduceMax: { since: 13, until: 18, attrs: ['axes', 'keepdims'], out: (t) => t[0]! },
  ReduceSumSquare: { since: 13, until: 18, attrs: ['axes', 'keepdims'], out: (t) => t[0]! },
  // used by the CLIP graphs (clipOnnx.ts)
  Sigmoid: { since: 13, attrs: [], out: (t) => t[0]! },
  ArgMax: { since: 13, attrs: ['axis', 'keepdims', 'select_last_index'], out: () => I64 },
  Expand: { since: 13, attrs: [], out: (t) => t[0]! },
  GatherElements: { since: 13, attrs: ['axis'], out: (t) => t[0]! },
  Concat: { since: 13, attrs: ['axis'], out: (t) => t[0]!, same: [0, 1] },
  Conv: { since: 11, attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad'], out: (t) => t[0]!, same: [0, 1] },
  // RoBERTa-family position ids (families/xlmRoberta)
  CumSum: { since: 14, attrs: ['exclusive', 'reverse'], out: (t) => t[0]! },
  // the 8-bit variants (export/onnx/quantize.ts): y_q uint8, y_scale float, y_zero_point uint8
  DynamicQuantizeLinear: { since: 11, attrs: [], out: (_, __, k) => (k === 1 ? F : U8) },
  MatMulInteger: { since: 10, attrs: [], out: () => I32 },
};
/** inputs that must be int64 (indices, shapes, axes) */
const INT64_INPUTS: Record<string, number[]> = {
  Gather: [1],
  Slice: [1, 2, 3],
  Reshape: [1],
  Unsqueeze: [1],
  ReduceSum: [1],
  Expand: [1],
  GatherElements: [1],
  CumSum: [1],
};

// Decoded protobufjs messages carry defaults for every field; these types say so (the generated ones are all-optional).
type Long = number | { toString(): string };
export interface DecodedValueInfo {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: { dimValue?: Long; dimParam?: string }[] } } };
}
export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: Long[];
  rawData: Uint8Array;
}
export interface DecodedNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxTypes.IAttributeProto[];
}
export interface DecodedModel {
  irVersion: Long;
  producerName: string;
  opsetImport: { domain: string; version: Long }[];
  graph: { node: DecodedNode[]; initializer: DecodedTensor[]; input: DecodedValueInfo[]; output: DecodedValueInfo[] };
}

export function decodeModel(bytes: Uint8Array): DecodedModel {
  return onnx.ModelProto.decode(bytes) as unknown as DecodedModel;
}

export function encodeModel(m: DecodedModel): Uint8Array {
  return onnx.ModelProto.encode(m as unknown as OnnxTypes.IModelProto).finish();
}

/** Checks the rules onnx.checker enforces that apply to these graphs; returns the problems found. */
export function checkOnnxModel(bytes: Uint8Array): string[] {
  const m = decodeModel(bytes);
  const problems: string[] = [];
  const g = m.graph;
  const opset = m.opsetImport.find((o) => !o.domain)?.version;
  if (opset === undefined) problems.push('no default-domain opset import');
  const version = Number(opset ?? 0);
  if (Number(m.irVersion) < 7) problems.push(`ir_version ${m.irVersion} too old for opset ${version}`);
  const types = new Map<string, number>();
  const define = (name: string, t: number, what: string) => {
    if (!name) problems.push(`${what}: empty name`);
    if (types.has(name)) problems.push(`${what}: "${name}" defined twice`);
    types.set(name, t);
  };
  for (const i of g.input) define(i.name, i.type?.tensorType?.elemType ?? 0, 'input');
  for (const t of g.initializer) {
    define(t.name, t.dataType, 'initializer');
    const n = t.dims.map(Number).reduce((a, b) => a * b, 1);
    const width = WIDTH[t.dataType] ?? 0;
    if (!width) problems.push(`initializer ${t.name}: unexpected dtype ${t.dataType}`);
    else if (t.rawData.length !== n * width) problems.push(`initializer ${t.name}: ${t.rawData.length} bytes for dims [${t.dims}]`);
  }
  const nodeNames = new Set<string>();
  for (const node of g.node) {
    const where = `node ${node.name} (${node.opType})`;
    if (!node.name || nodeNames.has(node.name)) problems.push(`${where}: missing or duplicate node name`);
    nodeNames.add(node.name);
    if (node.domain) problems.push(`${where}: domain "${node.domain}" has no opset import`);
    const spec = OPS[node.opType];
    if (!spec) {
      problems.push(`${where}: op not known to the checker`);
      continue;
    }
    if (version < spec.since || (spec.until !== undefined && version >= spec.until)) problems.push(`${where}: op form not valid in opset ${version}`);
    const attrs = new Map(node.attribute.map((a) => [a.name ?? '', a]));
    for (const a of attrs.keys()) if (!spec.attrs.includes(a)) problems.push(`${where}: unknown attribute ${a}`);
    const ins = node.input.map((i) => {
      if (!types.has(i)) problems.push(`${where}: input "${i}" used before definition`);
      return types.get(i) ?? 0;
    });
    if (spec.same && new Set(spec.same.filter((k: number) => k < ins.length).map((k: number) => ins[k])).size > 1)
      problems.push(`${where}: input dtypes differ ${ins}`);
    for (const k of INT64_INPUTS[node.opType] ?? []) if (k < ins.length && ins[k] !== I64) problems.push(`${where}: input ${k} must be int64`);
    if (
      ['Add', 'Sub', 'Mul', 'Div', 'MatMul', 'Erf', 'Tanh', 'Softmax', 'LayerNormalization', 'Sqrt', 'Sigmoid', 'Conv'].includes(node.opType) &&
      ins[0] !== F
    ) {
      problems.push(`${where}: expects float input, got ${ins[0]}`);
    }
    if (node.opType === 'MatMulInteger' && (ins[0] !== U8 || ![U8, I8].includes(ins[1]!) || (ins[2] !== undefined && ins[2] !== ins[0])))
      problems.push(`${where}: MatMulInteger needs uint8 A, 8-bit B and zero points of their types, got ${ins}`);
    if (node.opType === 'DynamicQuantizeLinear' && ins[0] !== F) problems.push(`${where}: expects float input, got ${ins[0]}`);
    node.output.forEach((o, k) => define(o, spec.out(ins, attrs, k), where));
  }
  for (const o of g.output) {
    if (!types.has(o.name)) problems.push(`output ${o.name} is never produced`);
    else if (types.get(o.name) !== o.type?.tensorType?.elemType) problems.push(`output ${o.name}: declared dtype differs from the produced one`);
  }
  return problems;
}

export function initializer(bytes: Uint8Array, name: string): { dims: number[]; values: Float64Array } | undefined {
  const t = decodeModel(bytes).graph.initializer.find((i) => i.name === name);
  return t ? { dims: t.dims.map(Number), values: tensorValues(t as OnnxTypes.ITensorProto) } : undefined;
}

export async function runOrt(model: Uint8Array, b: Batch): Promise<{ hidden: Float32Array; sentence: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(model);
  const t = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
  try {
    const out = await session.run({ input_ids: t(b.ids), attention_mask: t(b.mask), token_type_ids: t(b.types) });
    return {
      hidden: out.last_hidden_state!.data as Float32Array,
      sentence: out.sentence_embedding!.data as Float32Array,
      dims: [...out.last_hidden_state!.dims],
    };
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// ---- float64 reference: HF BertModel (eager attention) + sentence-transformers Pooling/Normalize ----

function layerNorm(x: Float64Array<ArrayBufferLike>, gamma: Float32Array, beta: Float32Array, eps: number, H: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / H; r++) {
    let mean = 0,
      v = 0;
    for (let c = 0; c < H; c++) mean += x[r * H + c]!;
    mean /= H;
    for (let c = 0; c < H; c++) v += (x[r * H + c]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / H + eps);
    for (let c = 0; c < H; c++) out[r * H + c] = (x[r * H + c]! - mean) * inv * gamma[c]! + beta[c]!;
  }
  return out;
}

function linear(x: Float64Array<ArrayBufferLike>, w: Float32Array, bias: Float32Array, inDim: number, outDim: number): Float64Array {
  const rows = x.length / inDim;
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outDim; o++) {
      let s = bias[o]!;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
      out[r * outDim + o] = s;
    }
  return out;
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is only 1e-7 accurate; use the series/continued fraction for float64 accuracy.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x,
      term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz)
  let f = ax,
    c = ax,
    d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = 1 / d;
    c = ax + a / c;
    f *= c * d;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function act(v: number, kind: BertConfig['hidden_act']): number {
  if (kind === 'relu') return Math.max(0, v);
  if (kind === 'gelu') return 0.5 * v * (1 + erf(v / Math.SQRT2));
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

export function referenceBert(
  c: BertConfig,
  weights: TensorMap,
  pc: PoolConfig,
  b: Batch,
): { hidden: Float64Array<ArrayBufferLike>; sentence: Float64Array } {
  const W = (n: string) => weights.get(n)!.data;
  const H = c.hidden_size,
    B = b.ids.length,
    S = b.ids[0]!.length,
    nh = c.num_attention_heads,
    hd = H / nh;
  let h: Float64Array<ArrayBufferLike> = new Float64Array(B * S * H);
  for (let i = 0; i < B; i++)
    for (let s = 0; s < S; s++)
      for (let k = 0; k < H; k++) {
        h[(i * S + s) * H + k] =
          W('embeddings.word_embeddings.weight')[b.ids[i]![s]! * H + k]! +
          W('embeddings.token_type_embeddings.weight')[b.types[i]![s]! * H + k]! +
          W('embeddings.position_embeddings.weight')[s * H + k]!;
      }
  h = layerNorm(h, W('embeddings.LayerNorm.weight'), W('embeddings.LayerNorm.bias'), c.layer_norm_eps, H);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const lin = (x: Float64Array<ArrayBufferLike>, n: string, i: number, o: number) => linear(x, W(`${n}.weight`), W(`${n}.bias`), i, o);
    const q = lin(h, `${p}.attention.self.query`, H, H),
      k = lin(h, `${p}.attention.self.key`, H, H),
      v = lin(h, `${p}.attention.self.value`, H, H);
    const ctx = new Float64Array(B * S * H);
    for (let i = 0; i < B; i++)
      for (let n = 0; n < nh; n++)
        for (let s = 0; s < S; s++) {
          const scores = new Float64Array(S);
          for (let t = 0; t < S; t++) {
            let dot = 0;
            for (let d = 0; d < hd; d++) dot += q[(i * S + s) * H + n * hd + d]! * k[(i * S + t) * H + n * hd + d]!;
            scores[t] = b.mask[i]![t] ? dot / Math.sqrt(hd) : -Infinity;
          }
          const mx = Math.max(...scores);
          let z = 0;
          for (let t = 0; t < S; t++) {
            scores[t] = Math.exp(scores[t]! - mx);
            z += scores[t]!;
          }
          for (let d = 0; d < hd; d++) {
            let acc = 0;
            for (let t = 0; t < S; t++) acc += (scores[t]! / z) * v[(i * S + t) * H + n * hd + d]!;
            ctx[(i * S + s) * H + n * hd + d] = acc;
          }
        }
    const attnOut = lin(ctx, `${p}.attention.output.dense`, H, H).map((x, j) => x + h[j]!);
    h = layerNorm(attnOut, W(`${p}.attention.output.LayerNorm.weight`), W(`${p}.attention.output.LayerNorm.bias`), c.layer_norm_eps, H);
    const inter = lin(h, `${p}.intermediate.dense`, H, c.intermediate_size).map((x) => act(x, c.hidden_act));
    const out = lin(inter, `${p}.output.dense`, c.intermediate_size, H).map((x, j) => x + h[j]!);
    h = layerNorm(out, W(`${p}.output.LayerNorm.weight`), W(`${p}.output.LayerNorm.bias`), c.layer_norm_eps, H);
  }
  const sentence = new Float64Array(B * H);
  for (let i = 0; i < B; i++) {
    const row = sentence.subarray(i * H, (i + 1) * H);
    const count = b.mask[i]!.reduce((a, x) => a + x, 0);
    for (let k = 0; k < H; k++) {
      if (pc.pooling === 'cls') row[k] = h[i * S * H + k]!;
      else if (pc.pooling === 'max') {
        let m = -Infinity;
        for (let s = 0; s < S; s++) m = Math.max(m, b.mask[i]![s] ? h[(i * S + s) * H + k]! : -1e9);
        row[k] = m;
      } else {
        let sum = 0;
        for (let s = 0; s < S; s++) sum += b.mask[i]![s]! * h[(i * S + s) * H + k]!;
        row[k] = sum / Math.max(count, 1e-9);
      }
    }
    if (pc.normalize) {
      const norm = Math.max(Math.hypot(...row), 1e-12);
      for (let k = 0; k < H; k++) row[k] = row[k]! / norm;
    }
  }
  return { hidden: h, sentence };
}
