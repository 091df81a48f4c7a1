import type { ClipTowerConfig } from '../models/clip/clipConfig.ts';
import type { NamedTensor, TensorMap } from '../weights/safetensors.ts';
import { activation, transpose2d } from './bertOnnx.ts';
import { attr, OnnxGraphBuilder } from './onnx/graphBuilder.ts';

/**
 * The pieces both CLIP ONNX graphs share: shape-checked weight access under Hugging Face CLIPModel names,
 * PyTorch-layout linear layers (transposed once at export), LayerNormalization nodes and the pre-LN
 * CLIPEncoderLayer stack of transformers' modeling_clip.py.
 */
export interface ClipTowerGraph {
  g: OnnxGraphBuilder;
  f: (v: number) => string;
  i64: (vals: number[]) => string;
  /** the weight as an initializer (added once), after checking it has `shape` */
  param: (name: string, shape: readonly number[]) => string;
  /** x W^T (+ b) for the [out, in] weight `${name}.weight` */
  linear: (x: string, name: string, inDim: number, outDim: number, bias?: boolean) => string;
  layerNorm: (x: string, name: string, dim: number, eps: number, out?: string) => string;
}

export function clipTowerGraph(graphName: string, weights: TensorMap): ClipTowerGraph {
  const g = new OnnxGraphBuilder(graphName);
  const get = (name: string, shape: readonly number[]): NamedTensor => {
    const t = weights.get(name);
    if (!t) throw new Error(`CLIP ONNX export: missing weight "${name}"`);
    if (t.shape.join(',') !== shape.join(',')) {
      throw new Error(`CLIP ONNX export: weight "${name}" has shape [${t.shape}] but the config needs [${shape}]`);
    }
    return t;
  };
  const param = (name: string, shape: readonly number[]) => (g.has(name) ? name : g.floatInitializer(name, get(name, shape).data, shape));
  const linear = (x: string, name: string, inDim: number, outDim: number, bias = true) => {
    const wt = `${name}.weight.T`;
    if (!g.has(wt)) g.floatInitializer(wt, transpose2d(get(`${name}.weight`, [outDim, inDim])), [inDim, outDim]);
    const y = g.op('MatMul', [x, wt]);
    return bias ? g.op('Add', [y, param(`${name}.bias`, [outDim])]) : y;
  };
  const layerNorm = (x: string, name: string, dim: number, eps: number, out?: string) =>
    g.op(
      'LayerNormalization',
      [x, param(`${name}.weight`, [dim]), param(`${name}.bias`, [dim])],
      { axis: attr.int(-1), epsilon: attr.float(eps) },
      out,
    );
  const f = (v: number) => g.constant('float32', [v], []);
  const i64 = (vals: number[]) => g.constant('int64', vals);
  return { g, f, i64, param, linear, layerNorm };
}

/** HF ACT2FN for the activations CLIP configs use; quick_gelu (OpenAI CLIP's) is x * sigmoid(1.702 x). */
function clipActivation(t: ClipTowerGraph, x: string, act: ClipTowerConfig['hidden_act']): string {
  if (act === 'quick_gelu') return t.g.op('Mul', [x, t.g.op('Sigmoid', [t.g.op('Mul', [x, t.f(1.702)])])]);
  return activation(t.g, x, act, t.f);
}

/**
 * `c.num_hidden_layers` CLIPEncoderLayers on h [batch, seq, hidden] under `${prefix}.encoder.layers.{i}`:
 * h += out_proj(attention(layer_norm1(h))); h += fc2(act(fc1(layer_norm2(h)))). The query is scaled by
 * head_dim^-0.5 before q k^T as in CLIPAttention; `additiveMask` ([batch|1, 1, seq, seq] or broadcastable)
 * is added to the scores, none for the vision tower. The last layer's output is named `outName` if given.
 */
export function clipEncoderLayers(
  t: ClipTowerGraph,
  h: string,
  additiveMask: string | null,
  c: ClipTowerConfig,
  prefix: string,
  outName?: string,
): string {
  const { g, f, i64, linear, layerNorm } = t;
  const D = c.hidden_size;
  const heads = c.num_attention_heads;
  if (!Number.isInteger(D / heads)) throw new Error(`CLIP ONNX export: ${prefix} hidden_size ${D} is not divisible by num_attention_heads ${heads}`);
  const headDim = D / heads;
  const splitShape = i64([0, 0, heads, headDim]);
  const mergeShape = i64([0, 0, D]);
  const last = c.num_hidden_layers - 1;
  for (let l = 0; l <= last; l++) {
    const p = `${prefix}.encoder.layers.${l}`;
    g.scope = `${p}/self_attn`;
    const x = layerNorm(h, `${p}.layer_norm1`, D, c.layer_norm_eps);
    const split = (y: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [y, splitShape])], { perm: attr.ints(perm) });
    const q = split(g.op('Mul', [linear(x, `${p}.self_attn.q_proj`, D, D), f(headDim ** -0.5)]), [0, 2, 1, 3]);
    const kT = split(linear(x, `${p}.self_attn.k_proj`, D, D), [0, 2, 3, 1]);
    const v = split(linear(x, `${p}.self_attn.v_proj`, D, D), [0, 2, 1, 3]);
    const raw = g.op('MatMul', [q, kT]);
    const scores = additiveMask ? g.op('Add', [raw, additiveMask]) : raw;
    const probs = g.op('Softmax', [scores], { axis: attr.int(-1) });
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) }), mergeShape]);
    h = g.op('Add', [h, linear(ctx, `${p}.self_attn.out_proj`, D, D)]);

    g.scope = `${p}/mlp`;
    const y = layerNorm(h, `${p}.layer_norm2`, D, c.layer_norm_eps);
    const act = clipActivation(t, linear(y, `${p}.mlp.fc1`, D, c.intermediate_size), c.hidden_act);
    h = g.op('Add', [h, linear(act, `${p}.mlp.fc2`, c.intermediate_size, D)], {}, l === last ? outName : undefined);
  }
  if (c.num_hidden_layers === 0 && outName) h = g.op('Identity', [h], {}, outName);
  return h;
}
