import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../weights/safetensors.ts';
import { readVariables } from '../models/readVariables.ts';
import { gradNorm, scaleGrads } from './gradientClipping.ts';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** parameters exempt from weight decay; default: HF Trainer's rule (biases and LayerNorm weights) */
  noDecay?: (name: string) => boolean;
}

/** torch.optim.AdamW's defaults except weight decay (HF Trainer's 0.01), and HF's no-decay rule. */
export function resolveAdamWOptions(opts: AdamWOptions): Required<AdamWOptions> {
  return {
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? 0.01,
    noDecay: opts.noDecay ?? isNoDecayParam,
  };
}

/** What one optimizer update reports: the loss and gradient norm it read back, and whether it updated. */
export interface UpdateResult {
  loss: number;
  /** total L2 norm of the gradients before clipping (HF's grad_norm) */
  norm: number;
  /** false when the loss or the norm was not finite: nothing changed, the caller stops */
  applied: boolean;
}

/** The optimizer the training loop drives: clip_grad_norm_ + AdamW in one call, one readback per step. */
export interface Optimizer {
  readonly t: number;
  /**
   * true when update() has queued the new weights by the time it returns (its promise only carries the
   * read-back result) and a refused step latches, refusing every later update: the caller may then build
   * the next step before reading this one's result, and still stop with the last good weights.
   */
  readonly pipelined: boolean;
  /** `grads` stay the caller's to dispose */
  update(grads: Map<string, tf.Tensor>, loss: tf.Tensor, lr: number, maxNorm: number): Promise<UpdateResult>;
  exportState(): Promise<AdamWState>;
  importState(s: AdamWState): void;
  dispose(): void;
}

export interface AdamWState {
  /** number of updates taken */
  t: number;
  m: TensorMap;
  v: TensorMap;
}

/**
 * HF Trainer.get_decay_parameter_names: no decay on biases and norm-layer parameters (it matches
 * "bias", "layernorm", "rmsnorm" in the lower-cased name, besides nn.LayerNorm modules).
 */
export function isNoDecayParam(name: string): boolean {
  const n = name.toLowerCase();
  return n.includes('bias') || n.includes('layernorm') || n.includes('rmsnorm');
}

/**
 * torch.optim.AdamW (single-tensor path, amsgrad off), with the lr passed per step so a scheduler
 * stays a pure function:
 *   p *= 1 - lr*wd;  m = lerp(m, g, 1-b1);  v = b2*v + (1-b2)*g^2
 *   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 * Moments are tf.Variables updated in place; each step runs in tf.tidy so nothing leaks.
 */
export class AdamW implements Optimizer {
  readonly pipelined = false; // update() reads the norm before it touches the weights
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly decays = new Map<string, boolean>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    const { noDecay, ...o } = resolveAdamWOptions(opts);
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    const zeros = (p: tf.Variable) => {
      const z = tf.zerosLike(p);
      const v = tf.variable(z, false);
      z.dispose(); // the variable keeps its own reference to the data
      return v;
    };
    for (const [name, p] of params) {
      this.m.set(name, zeros(p));
      this.v.set(name, zeros(p));
      this.decays.set(name, !noDecay(name));
    }
  }

  /** Whether parameter `name` gets weight decay. */
  hasWeightDecay(name: string): boolean {
    return this.decays.get(name) ?? false;
  }

  /** One update with gradients keyed by parameter name; parameters without a gradient are skipped (like torch's grad None). */
  step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps, t } = this;
    const stepSize = lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const decayed = this.decays.get(name) && this.weightDecay !== 0 ? p.mul(1 - lr * this.weightDecay) : p;
        const mNew = m.add(g.sub(m).mul(1 - b1));
        const vNew = v.mul(b2).add(g.square().mul(1 - b2));
        const denom = vNew.sqrt().div(bc2Sqrt).add(eps);
        p.assign(decayed.sub(mNew.div(denom).mul(stepSize)));
        m.assign(mNew);
        v.assign(vNew);
      });
    }
  }

  /** Loss and gradient norm read back together (one readback), then clipping and the update when both are finite. */
  async update(grads: Map<string, tf.Tensor>, loss: tf.Tensor, lr: number, maxNorm: number): Promise<UpdateResult> {
    const statsT = tf.tidy(() => tf.stack([tf.reshape(loss, []), gradNorm(grads)]));
    const [lossValue, norm] = await statsT.data();
    statsT.dispose();
    if (!Number.isFinite(lossValue) || !Number.isFinite(norm)) return { loss: lossValue!, norm: norm!, applied: false };
    const clip = scaleGrads(grads, norm!, maxNorm);
    this.step(clip.grads, lr);
    if (clip.clipped) for (const g of clip.grads.values()) g.dispose();
    return { loss: lossValue!, norm: norm!, applied: true };
  }

  async exportState(): Promise<AdamWState> {
    return { t: this.t, m: await readVariables(this.m), v: await readVariables(this.v) };
  }

  importState(s: AdamWState): void {
    const write = (vars: Map<string, tf.Variable>, src: TensorMap, what: string) => {
      for (const [name, x] of vars) {
        const saved = src.get(name);
        if (!saved) throw new Error(`optimizer state: no ${what} for parameter "${name}"`);
        if (saved.shape.join(',') !== x.shape.join(',')) {
          throw new Error(`optimizer state: ${what} of "${name}" has shape [${saved.shape}], parameter has [${x.shape}]`);
        }
        tf.tidy(() => x.assign(tf.tensor(saved.data, x.shape, 'float32')));
      }
    };
    write(this.m, s.m, 'first moment');
    write(this.v, s.v, 'second moment');
    this.t = s.t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}
