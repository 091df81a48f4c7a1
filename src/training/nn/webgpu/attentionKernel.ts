import * as tf from '@tensorflow/tfjs';
import { dropThreshold, dropoutWgsl, keepScale } from '../../random/dropoutMask.ts';
import { registerWebGpuKernel, runKernel, runProgram, type WebGpuBackendLike } from './gpuProgram.ts';

/**
 * Multi-head attention, softmax(q k^T * scale + mask) with dropout on the probabilities, times v, on q, k, v
 * in their [B, S, H] layout (no head transposes): one dispatch forward, four backward (per-row log-sum-exp
 * and dO.O, then dq, dk and dv). One thread owns one query (or key) row of one head and walks the other
 * side with an online softmax, as FlashAttention does; the probabilities are never stored. The dropout mask
 * of element (b, head, i, j) is random/dropoutMask.ts' hash of its index in [B, heads, S, S], the tensor
 * the composite path drops out, so both paths drop the same probabilities.
 */
const THREADS = 64;

/** 0: no mask, 1: key padding [B, S], 2: a full [B, S, S] mask (CLIP text: causal + padding). */
export type MaskKind = 0 | 1 | 2;

export interface AttentionAttrs {
  heads: number;
  scale: number;
  rate: number;
  mix: number;
  maskKind: MaskKind;
}

type Pass = 'forward' | 'stats' | 'dq' | 'dk' | 'dv';

const passInputs: Record<Pass, string[]> = {
  forward: ['q', 'k', 'v', 'mask'],
  stats: ['q', 'k', 'mask', 'o', 'dout'],
  dq: ['q', 'k', 'v', 'mask', 'stats', 'dout'],
  dk: ['q', 'k', 'v', 'mask', 'stats', 'dout'],
  dv: ['q', 'k', 'mask', 'stats', 'dout'],
};

const maskAt: Record<MaskKind, string> = {
  0: '0.0 * mask[0]', // still bound, so still referenced
  1: 'mask[b * S + j]',
  2: 'mask[(b * S + i) * S + j]',
};

/** Loops shared by the passes; `row` is the thread's query row index in [B*heads*S]. */
const prelude = (hd: number, kind: MaskKind, drop: boolean) => `
${dropoutWgsl}
const HD = ${hd};
fn maskValue(b : i32, i : i32, j : i32, S : i32) -> f32 { return ${maskAt[kind]}; }
fn keepAt(flat : i32) -> f32 {
  return ${drop ? 'select(0.0, uniforms.keep, dropKeep(u32(flat), uniforms.mix, uniforms.threshold))' : '1.0'};
}
fn dotRows(a : i32, b : i32) -> f32 {
  var s = 0.0;
  for (var d = 0; d < HD; d++) { s += q[a + d] * k[b + d]; }
  return s;
}
`;

const body: Record<Pass, string> = {
  forward: `
  var acc : array<f32, HD>;
  var m = -3.402823466e+38;
  var l = 0.0;
  for (var j = 0; j < S; j++) {
    let kj = (b * S + j) * H + h * HD;
    let s = dotRows(qi, kj) * uniforms.scale + maskValue(b, i, j, S);
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * corr + p;
    let w = p * keepAt(row * S + j);
    for (var d = 0; d < HD; d++) { acc[d] = acc[d] * corr + w * v[kj + d]; }
    m = mNew;
  }
  for (var d = 0; d < HD; d++) { result[qi + d] = acc[d] / l; }`,
  stats: `
  var m = -3.402823466e+38;
  var l = 0.0;
  for (var j = 0; j < S; j++) {
    let s = dotRows(qi, (b * S + j) * H + h * HD) * uniforms.scale + maskValue(b, i, j, S);
    let mNew = max(m, s);
    l = l * exp(m - mNew) + exp(s - mNew);
    m = mNew;
  }
  var dd = 0.0;
  for (var d = 0; d < HD; d++) { dd += dout[qi + d] * o[qi + d]; }
  result[row * 2] = m + log(l);
  result[row * 2 + 1] = dd;`,
  dq: `
  var acc : array<f32, HD>;
  let lse = stats[row * 2];
  let D = stats[row * 2 + 1];
  for (var j = 0; j < S; j++) {
    let kj = (b * S + j) * H + h * HD;
    let a = exp(dotRows(qi, kj) * uniforms.scale + maskValue(b, i, j, S) - lse);
    var dv = 0.0;
    for (var d = 0; d < HD; d++) { dv += dout[qi + d] * v[kj + d]; }
    let ds = a * (dv * keepAt(row * S + j) - D);
    for (var d = 0; d < HD; d++) { acc[d] += ds * k[kj + d]; }
  }
  for (var d = 0; d < HD; d++) { result[qi + d] = acc[d] * uniforms.scale; }`,
  // in dk and dv the thread's row is a key row j = i; the loop runs over the query rows r
  dk: `
  var acc : array<f32, HD>;
  let kj = qi;
  for (var r = 0; r < S; r++) {
    let qr = (b * S + r) * H + h * HD;
    let rowR = (b * uniforms.heads + h) * S + r;
    let a = exp(dotRows(qr, kj) * uniforms.scale + maskValue(b, r, i, S) - stats[rowR * 2]);
    var dv = 0.0;
    for (var d = 0; d < HD; d++) { dv += dout[qr + d] * v[kj + d]; }
    let ds = a * (dv * keepAt(rowR * S + i) - stats[rowR * 2 + 1]);
    for (var d = 0; d < HD; d++) { acc[d] += ds * q[qr + d]; }
  }
  for (var d = 0; d < HD; d++) { result[kj + d] = acc[d] * uniforms.scale; }`,
  dv: `
  var acc : array<f32, HD>;
  let kj = qi;
  for (var r = 0; r < S; r++) {
    let qr = (b * S + r) * H + h * HD;
    let rowR = (b * uniforms.heads + h) * S + r;
    let w = exp(dotRows(qr, kj) * uniforms.scale + maskValue(b, r, i, S) - stats[rowR * 2]) * keepAt(rowR * S + i);
    for (var d = 0; d < HD; d++) { acc[d] += w * dout[qr + d]; }
  }
  for (var d = 0; d < HD; d++) { result[kj + d] = acc[d]; }`,
};

function attentionPass(pass: Pass, backend: WebGpuBackendLike, inputs: tf.TensorInfo[], a: AttentionAttrs): tf.TensorInfo {
  const [B, S, H] = inputs[0]!.shape as [number, number, number];
  const hd = H / a.heads;
  const rows = B * a.heads * S;
  const drop = a.rate > 0;
  return runProgram(
    backend,
    {
      key: `attention_${pass}_${hd}_${a.maskKind}_${drop}`,
      inputs: passInputs[pass],
      outputShape: pass === 'stats' ? [rows, 2] : [B, S, H],
      threads: THREADS,
      workgroups: Math.ceil(rows / THREADS),
      uniforms: 'rows : i32, seq : i32, heads : i32, scale : f32, mix : u32, threshold : u32, keep : f32,',
      code: `${prelude(hd, a.maskKind, drop)}
fn main(index : i32) {
  if (index >= uniforms.rows) { return; }
  let S = uniforms.seq;
  let H = HD * uniforms.heads;
  let row = index;
  let i = row % S;
  let h = (row / S) % uniforms.heads;
  let b = row / (S * uniforms.heads);
  let qi = (b * S + i) * H + h * HD;
  ${body[pass]}
}`,
    },
    inputs,
    [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [S] },
      { type: 'int32', data: [a.heads] },
      { type: 'float32', data: [a.scale] },
      { type: 'uint32', data: [a.mix >>> 0] },
      { type: 'uint32', data: [dropThreshold(a.rate)] },
      { type: 'float32', data: [drop ? keepScale(a.rate) : 1] },
    ],
  );
}

const attrsOf = (x: unknown) => x as AttentionAttrs;

registerWebGpuKernel('FtlabAttention', (inputs, backend, attrs) => attentionPass('forward', backend, inputs, attrsOf(attrs)), passInputs.forward, {
  inputsToSave: ['q', 'k', 'v', 'mask'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [q, k, v, mask, o] = saved as tf.Tensor[];
    const dout = dy as tf.Tensor;
    const stats = runKernel('FtlabAttentionStats', { q: q!, k: k!, mask: mask!, o: o!, dout }, attrsOf(attrs) as never);
    const grad = (name: string) => () => runKernel(name, { q: q!, k: k!, v: v!, mask: mask!, stats, dout }, attrsOf(attrs) as never);
    return { q: grad('FtlabAttentionGradQ'), k: grad('FtlabAttentionGradK'), v: grad('FtlabAttentionGradV'), mask: () => tf.zerosLike(mask!) };
  },
});
for (const [name, pass] of [
  ['FtlabAttentionStats', 'stats'],
  ['FtlabAttentionGradQ', 'dq'],
  ['FtlabAttentionGradK', 'dk'],
  ['FtlabAttentionGradV', 'dv'],
] as const) {
  registerWebGpuKernel(name, (inputs, backend, attrs) => attentionPass(pass, backend, inputs, attrsOf(attrs)), passInputs[pass]);
}

/**
 * Attention over q, k, v [B, S, H] (heads side by side in H) with an additive mask of `maskKind`'s shape
 * (a one-element dummy for none); returns the context [B, S, H].
 */
export function fusedAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor, a: AttentionAttrs): tf.Tensor3D {
  return runKernel('FtlabAttention', { q, k, v, mask }, a as never) as tf.Tensor3D;
}
