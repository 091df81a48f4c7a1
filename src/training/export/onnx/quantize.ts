/**
 * Post-passes over a finished ONNX model that make the smaller variants transformers.js loads by `dtype`:
 *   - dynamic 8-bit quantization of every MatMul whose right-hand side is a 2-D float weight, in the node
 *     pattern onnxruntime's `quantize_dynamic` writes: DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q)
 *     → Cast → Mul(x_scale · w_scale). Weights are quantized per output column (per channel); 'int8' is
 *     symmetric (zero point 0), 'uint8' asymmetric with a per-column zero point (no u8·s8 pair sums to
 *     saturate on x86 CPUs without VNNI);
 *   - fp16 weights: every float initializer stored as float16 and cast back to float32 when the session
 *     starts, so inputs, outputs and arithmetic stay float32 and the file is half the size.
 * The quantized variant also stores the embedding tables (Gather over a 2-D float initializer) as 8-bit
 * rows with a scale (and zero point) per row, dequantized after the lookup: they are most of a small
 * model's weights. Both passes keep the graph's inputs, outputs and names; nodes stay topologically ordered.
 */
import { setFloat16 } from '@petamoriken/float16';
import { onnx, type OnnxTypes } from './proto.ts';
import { floatTensor, tensorValues } from './tensors.ts';

const T = { FLOAT: 1, UINT8: 2, INT8: 3, FLOAT16: 10 } as const;
type Model = OnnxTypes.IModelProto;
type Node = OnnxTypes.INodeProto;
type Tensor = OnnxTypes.ITensorProto;

export type QuantizedWeights = 'int8' | 'uint8';

const node = (name: string, opType: string, input: string[], output: string[], attribute: OnnxTypes.IAttributeProto[] = []): Node => ({
  name,
  opType,
  domain: '',
  input,
  output,
  attribute,
});
const toFloat = { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: T.FLOAT };

/**
 * 8-bit quantization of a [rows, cols] float matrix with one scale (and zero point) per column
 * (`perColumn`, MatMul weights: per output channel) or per row (embedding tables).
 */
function quantize8(w: Float64Array, rows: number, cols: number, type: QuantizedWeights, perColumn: boolean) {
  const q = new Uint8Array(rows * cols);
  const groups = perColumn ? cols : rows;
  const len = perColumn ? rows : cols;
  const at = (g: number, k: number) => (perColumn ? k * cols + g : g * cols + k);
  const scale = new Float32Array(groups);
  const zero = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < len; k++) {
      const v = w[at(g, k)]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (type === 'int8') {
      const s = Math.max(-lo, hi) / 127 || 1;
      scale[g] = s;
      for (let k = 0; k < len; k++) q[at(g, k)] = Math.max(-127, Math.min(127, Math.round(w[at(g, k)]! / s))) & 0xff;
    } else {
      const s = (hi - lo) / 255 || 1;
      const zp = Math.max(0, Math.min(255, Math.round(-lo / s)));
      scale[g] = s;
      zero[g] = zp;
      for (let k = 0; k < len; k++) q[at(g, k)] = Math.max(0, Math.min(255, Math.round(w[at(g, k)]! / s) + zp));
    }
  }
  return { q, scale, zero };
}

/** float16 raw_data (little-endian), by @petamoriken/float16 (Node 20 has no Float16Array) */
function float16Bytes(v: Float64Array): Uint8Array {
  const out = new Uint8Array(2 * v.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) setFloat16(view, 2 * i, v[i]!, true);
  return out;
}

const FLOAT16_MAX = 65504;

/** Gather(table, ids) over an 8-bit table: (Cast(Gather(q, ids)) − Gather(zero, ids)) · Gather(scale, ids). */
function dequantizedLookup(
  n: Node,
  table: string,
  ids: string,
  t: Tensor,
  type: QuantizedWeights,
  tables: Map<string, { q: string; scale: string; zero?: string }>,
  added: Tensor[],
): Node[] {
  let tq = tables.get(table);
  if (!tq) {
    const [V, H] = (t.dims ?? []).map(Number) as [number, number];
    const { q, scale, zero } = quantize8(tensorValues(t), V, H, type, false);
    tq = { q: `${table}_quantized`, scale: `${table}_scale`, ...(type === 'uint8' && { zero: `${table}_zero_point` }) };
    added.push({ name: tq.q, dataType: type === 'int8' ? T.INT8 : T.UINT8, dims: [V, H], rawData: q });
    // [V, 1]: the looked-up scale broadcasts over the row
    added.push(floatTensor(tq.scale, scale, [V, 1]));
    if (tq.zero) added.push(floatTensor(tq.zero, Float32Array.from(zero), [V, 1]));
    tables.set(table, tq);
  }
  const base = n.name || n.output![0]!;
  const out: Node[] = [
    node(`${base}_q`, 'Gather', [tq.q, ids], [`${base}_q_out`]),
    node(`${base}_Cast`, 'Cast', [`${base}_q_out`], [`${base}_Cast_out`], [toFloat]),
    node(`${base}_scale`, 'Gather', [tq.scale, ids], [`${base}_scale_out`]),
  ];
  let centred = `${base}_Cast_out`;
  if (tq.zero) {
    out.push(node(`${base}_zero`, 'Gather', [tq.zero, ids], [`${base}_zero_out`]));
    out.push(node(`${base}_Sub`, 'Sub', [centred, `${base}_zero_out`], [`${base}_centred`]));
    centred = `${base}_centred`;
  }
  out.push(node(`${base}_Mul`, 'Mul', [centred, `${base}_scale_out`], [n.output![0]!]));
  return out;
}

/** A copy of `model` with its MatMul weights quantized to 8 bits (see the file comment). */
export function quantizeMatMulWeights(model: Model, type: QuantizedWeights): Model {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const isWeight = (name: string) => {
    const t = inits.get(name);
    return t !== undefined && t.dataType === T.FLOAT && (t.dims ?? []).length === 2;
  };
  const nodes: Node[] = [];
  const added: Tensor[] = [];
  const activations = new Map<string, [string, string, string]>();
  const weights = new Map<string, { q: string; scale: string; zero?: string }>();
  const stillUsed = new Set<string>();
  const tables = new Map<string, { q: string; scale: string; zero?: string }>();
  for (const n of graph.node ?? []) {
    const [x, w] = n.input ?? [];
    const axis = n.attribute?.find((a) => a.name === 'axis');
    if (n.opType === 'Gather' && x && w && isWeight(x) && !(axis && Number(axis.i) !== 0)) {
      nodes.push(...dequantizedLookup(n, x, w, inits.get(x)!, type, tables, added));
      continue;
    }
    if (n.opType !== 'MatMul' || !x || !w || !isWeight(w)) {
      for (const i of n.input ?? []) stillUsed.add(i);
      nodes.push(n);
      continue;
    }
    let xq = activations.get(x);
    if (!xq) {
      xq = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`];
      nodes.push(node(`${x}_DynamicQuantizeLinear`, 'DynamicQuantizeLinear', [x], xq));
      activations.set(x, xq);
    }
    let wq = weights.get(w);
    if (!wq) {
      const t = inits.get(w)!;
      const [K, N] = (t.dims ?? []).map(Number) as [number, number];
      const { q, scale, zero } = quantize8(tensorValues(t), K, N, type, true);
      wq = { q: `${w}_quantized`, scale: `${w}_scale`, ...(type === 'uint8' && { zero: `${w}_zero_point` }) };
      added.push({ name: wq.q, dataType: type === 'int8' ? T.INT8 : T.UINT8, dims: [K, N], rawData: q });
      added.push(floatTensor(wq.scale, scale, [N]));
      if (wq.zero) added.push({ name: wq.zero, dataType: T.UINT8, dims: [N], rawData: zero });
      weights.set(w, wq);
    }
    const out = n.output![0]!;
    const base = n.name || out;
    const ints = `${base}_MatMulInteger_out`;
    nodes.push(node(`${base}_MatMulInteger`, 'MatMulInteger', [xq[0], wq.q, xq[2], ...(wq.zero ? [wq.zero] : [])], [ints]));
    nodes.push(node(`${base}_Cast`, 'Cast', [ints], [`${base}_Cast_out`], [toFloat]));
    nodes.push(node(`${base}_scale_Mul`, 'Mul', [xq[1], wq.scale], [`${base}_scale`]));
    nodes.push(node(`${base}_Mul`, 'Mul', [`${base}_Cast_out`, `${base}_scale`], [out]));
  }
  const kept = (graph.initializer ?? []).filter((t) => !(weights.has(t.name!) || tables.has(t.name!)) || stillUsed.has(t.name!));
  return { ...model, graph: { ...graph, node: nodes, initializer: [...kept, ...added] } };
}

/**
 * A copy of `model` whose float initializers are float16, each cast back to float32 before any use; those
 * with a value float16 cannot hold (the attention mask's float32 minimum) stay float32.
 */
export function withFloat16Weights(model: Model): Model {
  const graph = model.graph!;
  const casts: Node[] = [];
  const initializer = (graph.initializer ?? []).map((t) => {
    if (t.dataType !== T.FLOAT) return t;
    const values = tensorValues(t);
    if (values.some((v) => Math.abs(v) > FLOAT16_MAX)) return t;
    const half = `${t.name}_fp16`;
    casts.push(node(`${t.name}_Cast`, 'Cast', [half], [t.name!], [toFloat]));
    return { name: half, dataType: T.FLOAT16, dims: t.dims, rawData: float16Bytes(values) };
  });
  return { ...model, graph: { ...graph, node: [...casts, ...(graph.node ?? [])], initializer } };
}

/** decode → pass → encode, for the exporters that hold serialized bytes */
export function transformOnnx(bytes: Uint8Array, pass: (m: Model) => Model): Uint8Array {
  return onnx.ModelProto.encode(pass(onnx.ModelProto.decode(bytes))).finish();
}
