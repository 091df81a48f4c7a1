import * as tf from '@tensorflow/tfjs';
import { activation, dropout, FLOAT32_MIN, layerNorm, linear, type DropoutState, type ParamGetter } from '../../src/training/nn/layers.ts';
import { attention } from '../../src/training/nn/attention.ts';
import { bertLayer } from '../../src/training/models/bert/bertLayer.ts';
import { bertDefaults, type BertConfig } from '../../src/training/models/bert/bertConfig.ts';
import { bertParamSpecs } from '../../src/training/models/bert/bertWeights.ts';
import { setFusedKernels } from '../../src/training/nn/webgpu/gpuProgram.ts';
import { Rng } from '../../src/training/random/rng.ts';

/**
 * Each custom WebGPU kernel against tfjs' composite ops on the same backend: the forward and the gradients of
 * <y, dy> for a fixed random dy w.r.t. every input, as max |fused - composite| / max |composite| per tensor.
 */
export interface KernelCaseResult {
  name: string;
  forward: number;
  /** per input: max |difference| / max(max |composite|, 1e-2 x the case's largest |gradient|) */
  grads: number[];
  /** largest |value| of the composite forward (a case whose output is all zeros proves nothing) */
  scale: number;
}

type Case = { name: string; inputs: () => tf.Tensor[]; f: (...xs: tf.Tensor[]) => tf.Tensor };

const maxAbs = (a: Float32Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/**
 * max |a - b| / max(max |b|, floor). The floor covers tensors whose exact gradient is 0 and so hold only
 * rounding noise (attention key biases: softmax ignores a per-row shift); 1e-2 of the largest gradient at
 * rtol 1e-4 is webgpu.browser.test.ts' atol of 1e-6 x the largest gradient.
 */
const rel = (a: Float32Array, b: Float32Array, floor = 0) => {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  const m = Math.max(maxAbs(b), floor);
  return m === 0 ? d : d / m;
};

function randn(rng: Rng, shape: number[], scale = 1, shift = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale + shift),
    shape,
  );
}

const seeded = (rate: number, tag: string): DropoutState => {
  let site = 0;
  return { hidden: rate, attention: rate, next: () => `${tag}:${site++}` };
};

/** [B, 1, 1, S] key padding: row b keeps its first S - 2b tokens. */
function keyMask(B: number, S: number): tf.Tensor {
  const m = new Float32Array(B * S);
  for (let b = 0; b < B; b++) for (let s = S - 2 * b; s < S; s++) m[b * S + s] = FLOAT32_MIN;
  return tf.tensor(m, [B, 1, 1, S]);
}

/** [B, 1, S, S] causal + key padding, CLIP text's mask. */
function causalMask(B: number, S: number): tf.Tensor {
  const m = new Float32Array(B * S * S);
  for (let b = 0; b < B; b++) for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) if (j > i || j >= S - b) m[(b * S + i) * S + j] = FLOAT32_MIN;
  return tf.tensor(m, [B, 1, S, S]);
}

const layerConfig: BertConfig = { ...bertDefaults, hidden_size: 48, num_attention_heads: 4, intermediate_size: 80, layer_norm_eps: 1e-12 };
function cases(rng: Rng): Case[] {
  const H = layerConfig.hidden_size;
  const prefix = 'encoder.layer.0';
  const layerShapes = bertParamSpecs(layerConfig)
    .filter((p) => p.name.startsWith(`${prefix}.`))
    .map((p) => [p.name, p.shape] as [string, number[]]);
  return [
    {
      name: 'layerNorm',
      inputs: () => [randn(rng, [37, 96], 3, 1), randn(rng, [96], 1, 1), randn(rng, [96])],
      f: (x, g, b) => layerNorm(x!, (n) => (n.endsWith('weight') ? g! : b!), 'ln', 1e-12),
    },
    { name: 'gelu', inputs: () => [randn(rng, [3, 333], 2)], f: (x) => activation(x!, 'gelu') },
    { name: 'dropout', inputs: () => [randn(rng, [50, 64])], f: (x) => dropout(x!, 0.1, seeded(0.1, 'drop')) },
    {
      name: 'linear',
      inputs: () => [randn(rng, [2, 7, 24]), randn(rng, [40, 24], 0.3), randn(rng, [40])],
      f: (x, w, b) => linear(x!, (n) => (n.endsWith('weight') ? w! : b!), 'fc'),
    },
    {
      name: 'attention, key padding, dropout 0.1',
      inputs: () => [randn(rng, [3, 10, 48]), randn(rng, [3, 10, 48]), randn(rng, [3, 10, 48])],
      f: (q, k, v) =>
        attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, keyMask(3, 10), {
          heads: 4,
          dropout: { rate: 0.1, state: seeded(0.1, 'attn') },
        }),
    },
    {
      name: 'attention, causal + padding, q scaled',
      inputs: () => [randn(rng, [3, 10, 48]), randn(rng, [3, 10, 48]), randn(rng, [3, 10, 48])],
      f: (q, k, v) => attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, causalMask(3, 10), { heads: 4, scaleQuery: true }),
    },
    {
      name: 'attention, no mask, head dim 64',
      inputs: () => [randn(rng, [2, 9, 128]), randn(rng, [2, 9, 128]), randn(rng, [2, 9, 128])],
      f: (q, k, v) => attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, null, { heads: 2 }),
    },
    {
      name: 'BERT layer with dropout',
      inputs: () => [
        randn(rng, [3, 10, H]),
        ...layerShapes.map(([n, s]) => (n.endsWith('LayerNorm.weight') ? randn(rng, s, 0.2, 1) : randn(rng, s, 0.2))),
      ],
      f: (h, ...ps) => {
        const p: ParamGetter = (name) => ps[layerShapes.findIndex(([n]) => n === name)]!;
        return bertLayer(h as tf.Tensor3D, keyMask(3, 10), layerConfig, p, prefix, seeded(0.1, 'layer'));
      },
    },
  ];
}

async function run(c: Case, inputs: tf.Tensor[], dy: tf.Tensor, fused: boolean): Promise<Float32Array[]> {
  setFusedKernels(fused);
  try {
    const [y, grads] = tf.tidy(() => {
      const out = c.f(...inputs);
      const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(c.f(...xs), dy)))(inputs);
      return [out, g] as const;
    });
    const arrays = await Promise.all([y, ...grads].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([y, ...grads]);
    return arrays;
  } finally {
    setFusedKernels(true);
  }
}

export async function kernelParity(): Promise<KernelCaseResult[]> {
  const rng = new Rng(99);
  const out: KernelCaseResult[] = [];
  for (const c of cases(rng)) {
    const inputs = c.inputs();
    const shape = tf.tidy(() => c.f(...inputs).shape);
    const dy = randn(rng, shape);
    const [ref, got] = [await run(c, inputs, dy, false), await run(c, inputs, dy, true)];
    const floor = 1e-2 * Math.max(...ref.slice(1).map(maxAbs));
    out.push({
      name: c.name,
      forward: rel(got[0]!, ref[0]!),
      grads: ref.slice(1).map((r, i) => rel(got[i + 1]!, r, floor)),
      scale: maxAbs(ref[0]!),
    });
    tf.dispose([...inputs, dy]);
  }
  return out;
}
