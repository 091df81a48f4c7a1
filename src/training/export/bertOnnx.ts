import type { BertConfig } from '../models/bert/bertConfig.ts';
import { bertParamSpecs } from '../models/bert/bertWeights.ts';
import type { SentenceConfig } from '../models/sentenceConfig.ts';
import type { NamedTensor, TensorMap } from '../weights/safetensors.ts';
import { attr, OnnxGraphBuilder, type ModelOptions } from './onnx/graphBuilder.ts';

/**
 * Opset 17 is the first with LayerNormalization, so each LayerNorm is one node whose kernel
 * (onnxruntime CPU and WASM alike) reduces in float32 with eps inside the sqrt, as torch does;
 * onnxruntime-node 1.30 and transformers.js 4's onnxruntime-web both run opset 17. IR version 8 is
 * the one that introduced opset 17.
 */
export const BERT_ONNX_OPSET = 17;
export const BERT_ONNX_IR_VERSION = 8;

/** The model header of every graph ftlab writes (BERT, cross-encoder, CLIP towers). */
export const ftlabOnnxModel = (docString: string, metadata?: Record<string, string>): ModelOptions => ({
  opsetVersion: BERT_ONNX_OPSET,
  irVersion: BERT_ONNX_IR_VERSION,
  producerName: 'ftlab',
  producerVersion: '0.1.0',
  docString,
  metadata,
});

/** torch.finfo(float32).min, the additive mask value Hugging Face BertModel uses. */
export const MASK_MIN = -3.4028234663852886e38;

export const DYN = ['batch_size', 'sequence_length'] as const;

function weightGetter(config: BertConfig, weights: TensorMap): (name: string) => NamedTensor {
  const specs = new Map(bertParamSpecs(config).map((s) => [s.name, s]));
  return (name) => {
    const t = weights.get(name);
    const spec = specs.get(name);
    if (!t) throw new Error(`ONNX export: missing weight "${name}"`);
    if (spec && spec.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`ONNX export: weight "${name}" has shape [${t.shape}] but the config needs [${spec.shape}]`);
    }
    return t;
  };
}

/** [out, in] -> [in, out] so MatMul can multiply [B, S, in] activations directly. */
export function transpose2d(t: NamedTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
  return out;
}

/** Helpers shared by the graphs built on the BERT encoder. */
export interface BertGraph {
  g: OnnxGraphBuilder;
  /** the encoder output [batch, seq, hidden] */
  hidden: string;
  /** the attention mask as float [batch, seq] */
  maskF: string;
  /** x W^T + b for a PyTorch-layout linear layer `name` ([out, in] weight, transposed once at export) */
  linear: (x: string, name: string) => string;
  f: (v: number) => string;
  i64: (vals: number[]) => string;
}

/** Where an encoder's embeddings differ from BERT's (RoBERTa-family models). */
export interface EmbeddingGraphOptions {
  /** false: no token_type_ids input, every token gets type 0 (RoBERTa-family exports have none) */
  tokenTypeIds?: boolean;
  /** int64 position ids [batch, seq] computed from input_ids; default 0..S-1 sliced off the table */
  positionIds?: (g: OnnxGraphBuilder, inputIds: string) => string;
  /** the architecture the doc string names (default BertModel) */
  architecture?: string;
}

/**
 * The Hugging Face BertModel encoder (embeddings, mask, layers) on int64 inputs input_ids, attention_mask,
 * token_type_ids [batch_size, sequence_length]; `hiddenName` names its output tensor. `weights` may hold
 * extra (head) tensors, which `linear` also reads.
 */
export function buildBertEncoderGraph(
  graphName: string,
  config: BertConfig,
  weights: TensorMap,
  hiddenName: string,
  emb: EmbeddingGraphOptions = {},
): BertGraph {
  const g = new OnnxGraphBuilder(graphName);
  const w = weightGetter(config, weights);
  const H = config.hidden_size;
  const heads = config.num_attention_heads;
  const headDim = H / heads;
  const f = (v: number) => g.constant('float32', [v], []);
  const i64 = (vals: number[]) => g.constant('int64', vals);
  const param = (name: string) => (g.has(name) ? name : g.floatInitializer(name, w(name).data, w(name).shape));
  const linear = (x: string, name: string) => {
    const wt = `${name}.weight.T`;
    if (!g.has(wt)) g.floatInitializer(wt, transpose2d(w(`${name}.weight`)), [...w(`${name}.weight`).shape].reverse());
    return g.op('Add', [g.op('MatMul', [x, wt]), param(`${name}.bias`)]);
  };
  const layerNorm = (x: string, name: string, out?: string) =>
    g.op(
      'LayerNormalization',
      [x, param(`${name}.weight`), param(`${name}.bias`)],
      { axis: attr.int(-1), epsilon: attr.float(config.layer_norm_eps) },
      out,
    );

  const ids = g.input('input_ids', 'int64', DYN);
  const mask = g.input('attention_mask', 'int64', DYN);
  // without a token_type_ids input, type 0's row is broadcast to every token
  const types = emb.tokenTypeIds === false ? g.constant('int64', [0], []) : g.input('token_type_ids', 'int64', DYN);

  // Embeddings: word + token type, then + position (HF's order), positions 0..S-1 sliced off the table.
  g.scope = 'embeddings';
  const slicePositions = () => {
    const seqLen = g.op('Slice', [g.op('Shape', [ids]), i64([1]), i64([2]), i64([0])]);
    return g.op('Slice', [param('embeddings.position_embeddings.weight'), i64([0]), seqLen, i64([0])]);
  };
  const positions = emb.positionIds
    ? g.op('Gather', [param('embeddings.position_embeddings.weight'), emb.positionIds(g, ids)], { axis: attr.int(0) })
    : slicePositions();
  const words = g.op('Gather', [param('embeddings.word_embeddings.weight'), ids], { axis: attr.int(0) });
  const typeEmb = g.op('Gather', [param('embeddings.token_type_embeddings.weight'), types], { axis: attr.int(0) });
  let h = layerNorm(g.op('Add', [g.op('Add', [words, typeEmb]), positions]), 'embeddings.LayerNorm');

  // Additive mask [B, 1, 1, S]: 0 where attended, float32 min where padded.
  g.scope = 'mask';
  const maskF = g.op('Cast', [mask], { to: attr.int(1) });
  const additive = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [f(1), maskF]), f(MASK_MIN)]), i64([1, 2])]);

  const splitShape = i64([0, 0, heads, headDim]);
  const mergeShape = i64([0, 0, H]);
  const last = config.num_hidden_layers - 1;
  for (let l = 0; l <= last; l++) {
    const p = `encoder.layer.${l}`;
    g.scope = `${p}/attention`;
    const split = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, splitShape])], { perm: attr.ints(perm) });
    const q = split(linear(h, `${p}.attention.self.query`), [0, 2, 1, 3]);
    const kT = split(linear(h, `${p}.attention.self.key`), [0, 2, 3, 1]);
    const v = split(linear(h, `${p}.attention.self.value`), [0, 2, 1, 3]);
    const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, kT]), f(Math.sqrt(headDim))]), additive]);
    const probs = g.op('Softmax', [scores], { axis: attr.int(-1) });
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) }), mergeShape]);
    h = layerNorm(g.op('Add', [linear(ctx, `${p}.attention.output.dense`), h]), `${p}.attention.output.LayerNorm`);

    g.scope = `${p}/ffn`;
    const act = activation(g, linear(h, `${p}.intermediate.dense`), config.hidden_act, f);
    h = layerNorm(g.op('Add', [linear(act, `${p}.output.dense`), h]), `${p}.output.LayerNorm`, l === last ? hiddenName : undefined);
  }
  if (config.num_hidden_layers === 0) h = g.op('Identity', [h], {}, hiddenName);
  return { g, hidden: h, maskF, linear, f, i64 };
}

/**
 * A Hugging Face BertModel followed by sentence-transformers pooling (+ Normalize) as one ONNX graph.
 * Outputs `last_hidden_state` first, which is what optimum's ORTModelForFeatureExtraction (used by
 * sentence-transformers backend="onnx") and transformers.js feature-extraction read, and
 * `sentence_embedding`. The pooler is not part of the graph (sentence-transformers never uses it).
 */
export function buildBertOnnx(config: BertConfig, weights: TensorMap, sc: SentenceConfig, emb: EmbeddingGraphOptions = {}): Uint8Array {
  const H = config.hidden_size;
  const { g, hidden: h, maskF, f, i64 } = buildBertEncoderGraph('ftlab_bert', config, weights, 'last_hidden_state', emb);

  g.scope = 'pooling';
  const D = sc.truncateDim ?? H;
  const out = 'sentence_embedding';
  const pooled = pool(g, h, maskF, sc.pooling, f, i64, sc.normalize || D < H ? undefined : out);
  let e = pooled;
  if (D < H) {
    // Matryoshka truncate_dim: the prefix, re-normalized below when the model normalizes (a unit vector's prefix is not one)
    g.scope = 'truncate';
    e = g.op('Slice', [pooled, i64([0]), i64([D]), i64([1])], {}, sc.normalize ? undefined : out);
  }
  if (sc.normalize) {
    g.scope = 'normalize';
    // torch.nn.functional.normalize: x / max(||x||_2, 1e-12)
    const norm = g.op('Sqrt', [g.op('ReduceSumSquare', [e], { axes: attr.ints([1]), keepdims: attr.int(1) })]);
    g.op('Div', [e, g.op('Max', [norm, f(1e-12)])], {}, out);
  }

  g.output('last_hidden_state', 'float32', [...DYN, H]);
  g.output(out, 'float32', [DYN[0], D]);
  const truncated = D < H ? ` + first ${D} dimensions` : '';
  const doc = `${emb.architecture ?? 'BertModel'} (${config.num_hidden_layers} layers, hidden ${H}) + ${sc.pooling} pooling${truncated}${sc.normalize ? ' + L2 normalize' : ''}`;
  const metadata: Record<string, string> = { pooling: sc.pooling, normalize: String(sc.normalize), max_seq_length: String(sc.maxSeqLength) };
  if (D < H) metadata.truncate_dim = String(D);
  return g.serialize(ftlabOnnxModel(doc, metadata));
}

export function activation(g: OnnxGraphBuilder, x: string, act: BertConfig['hidden_act'], f: (v: number) => string): string {
  if (act === 'relu') return g.op('Relu', [x]);
  if (act === 'gelu') {
    // exact gelu: 0.5 x (1 + erf(x / sqrt 2))
    const erf = g.op('Erf', [g.op('Div', [x, f(Math.SQRT2)])]);
    return g.op('Mul', [g.op('Mul', [x, f(0.5)]), g.op('Add', [erf, f(1)])]);
  }
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new Error(`ONNX export: hidden_act "${act as string}" is not supported`);
  // gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, f(0.044715)])]), f(Math.sqrt(2 / Math.PI))]);
  return g.op('Mul', [g.op('Mul', [x, f(0.5)]), g.op('Add', [g.op('Tanh', [inner]), f(1)])]);
}

/** sentence-transformers Pooling semantics; `maskF` is the float [B, S] attention mask. */
function pool(
  g: OnnxGraphBuilder,
  h: string,
  maskF: string,
  mode: SentenceConfig['pooling'],
  f: (v: number) => string,
  i64: (v: number[]) => string,
  outName?: string,
): string {
  if (mode === 'cls') return g.op('Gather', [h, g.constant('int64', [0], [])], { axis: attr.int(1) }, outName);
  const m3 = g.op('Unsqueeze', [maskF, i64([2])]);
  if (mode === 'max') {
    // padded tokens are set to -1e9 before the max, as sentence-transformers does
    const padded = g.op('Equal', [m3, f(0)]);
    const filled = g.op('Where', [padded, f(-1e9), h]);
    return g.op('ReduceMax', [filled], { axes: attr.ints([1]), keepdims: attr.int(0) }, outName);
  }
  const summed = g.op('ReduceSum', [g.op('Mul', [h, m3]), i64([1])], { keepdims: attr.int(0) });
  const count = g.op('ReduceSum', [m3, i64([1])], { keepdims: attr.int(0) });
  return g.op('Div', [summed, g.op('Max', [count, f(1e-9)])], {}, outName);
}
