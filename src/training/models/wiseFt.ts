/**
 * WiSE-FT (Wortsman et al., "Robust fine-tuning of zero-shot models"; Finetuner's CLIP option): the
 * weight-space ensemble θ(α) = (1 − α)·θ_base + α·θ_tuned of a fine-tuned model and the model it started
 * from. α = 1 is the fine-tuned model, α = 0 the base; values between keep more of what the base knew
 * (general queries, other catalogues) for a little of what the fine-tune gained. Works on any two parameter
 * maps of one architecture: a sentence encoder's, a CLIP model's.
 */
import * as tf from '@tensorflow/tfjs';

export class WiseFtError extends Error {
  override name = 'WiseFtError';
}

/** α must be a number in [0, 1]; `what` names the option in the message. */
export function checkWiseAlpha(alpha: number, what = 'wise alpha'): number {
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1)
    throw new WiseFtError(`${what} must be a number from 0 (the base model) to 1 (the fine-tuned one), got ${alpha}`);
  return alpha;
}

/**
 * Both maps must hold the same parameter names with the same shapes: a tuned model whose base had another
 * architecture (another vocabulary, a different number of layers) cannot be interpolated.
 */
function checkSameParameters(tuned: ReadonlyMap<string, tf.Variable>, base: ReadonlyMap<string, tf.Variable>, baseName: string): void {
  for (const [name, v] of tuned) {
    const b = base.get(name);
    if (!b) throw new WiseFtError(`${baseName} has no parameter "${name}": WiSE-FT needs the model the fine-tune started from`);
    if (v.dtype !== 'float32' || b.dtype !== 'float32')
      throw new WiseFtError(`parameter "${name}" is ${v.dtype}: WiSE-FT interpolates float32 weights`);
    if (b.shape.join() !== v.shape.join())
      throw new WiseFtError(`${baseName}: parameter "${name}" is [${b.shape.join(', ')}], the fine-tuned one [${v.shape.join(', ')}]`);
  }
  const extra = [...base.keys()].filter((k) => !tuned.has(k));
  if (extra.length) throw new WiseFtError(`${baseName} has parameters the fine-tuned model lacks: ${extra.slice(0, 3).join(', ')}`);
}

/**
 * Sets every parameter of `tuned` to θ(α), in place. The end points are exact copies (α = 0 assigns the
 * base's values bit for bit, α = 1 changes nothing), so the ensemble's two ends reproduce both models.
 */
export function applyWiseFt(
  tuned: ReadonlyMap<string, tf.Variable>,
  base: ReadonlyMap<string, tf.Variable>,
  alpha: number,
  baseName = 'the base model',
): void {
  checkWiseAlpha(alpha);
  checkSameParameters(tuned, base, baseName);
  if (alpha === 1) return;
  for (const [name, v] of tuned) {
    const b = base.get(name)!;
    if (alpha === 0) v.assign(b);
    else tf.tidy(() => v.assign(tf.add(tf.mul(b, 1 - alpha), tf.mul(v, alpha))));
  }
}

/** A copy of `params`' values: `restore()` puts them back bit for bit, `dispose()` restores and frees the copy. */
export function snapshotParams(params: ReadonlyMap<string, tf.Variable>): { restore(): void; dispose(): void } {
  const saved = new Map([...params].map(([k, v]) => [k, tf.clone(v)]));
  const restore = () => {
    for (const [k, v] of params) v.assign(saved.get(k)!);
  };
  return {
    restore,
    dispose() {
      restore();
      tf.dispose([...saved.values()]);
      saved.clear();
    },
  };
}
