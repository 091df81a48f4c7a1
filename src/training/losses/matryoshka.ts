import * as tf from '@tensorflow/tfjs';
import type { Loss, TextEmbedder } from './loss.ts';
import { normalizeRows } from './similarity.ts';

/**
 * MatryoshkaLoss (sentence-transformers; Kusupati et al.): the wrapped loss summed over prefixes of the
 * embedding, Σ wᵢ · loss(normalize(e[:, :dᵢ])), so the first dᵢ dimensions alone make a usable embedding
 * and an export can be truncated to them (`truncate_dim`). Each prefix is re-normalized, as the truncated
 * model's Normalize module would do; for the cosine losses (MNRL) that changes nothing, for MarginMSE's dot
 * product it is what a truncated, normalized export is scored with.
 */

export interface MatryoshkaOptions {
  /** prefix sizes, each ≤ the embedding dimension, e.g. 384/256/128/64 for a 384-d model */
  dims: readonly number[];
  /** one weight per dimension; default all 1 (sentence-transformers' matryoshka_weights) */
  weights?: readonly number[];
}

export function checkMatryoshka(o: MatryoshkaOptions, what = 'matryoshka'): { dims: number[]; weights: number[] } {
  const dims = [...o.dims];
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new RangeError(`${what} dims must be positive integers, got [${dims.join(', ')}]`);
  if (new Set(dims).size !== dims.length) throw new RangeError(`${what} dims repeat a size: [${dims.join(', ')}]`);
  const weights = o.weights ? [...o.weights] : dims.map(() => 1);
  if (weights.length !== dims.length || weights.some((w) => !Number.isFinite(w) || w < 0))
    throw new RangeError(`${what} weights must be ${dims.length} non-negative numbers, one per dimension, got [${weights.join(', ')}]`);
  return { dims, weights };
}

/** The first `d` columns of each row, re-normalized. */
export function truncateEmbeddings(x: tf.Tensor2D, d: number): tf.Tensor2D {
  if (d > x.shape[1]) throw new RangeError(`matryoshka: dimension ${d} is above the embedding's ${x.shape[1]}`);
  return tf.tidy(() => normalizeRows(d === x.shape[1] ? x : x.slice([0, 0], [-1, d])));
}

/**
 * The pure core: `core` (a loss's fromEmbeddings over its columns, nulls for absent ones) summed over the
 * truncated, re-normalized columns.
 */
export function matryoshkaFromEmbeddings(
  columns: readonly (tf.Tensor2D | null)[],
  o: MatryoshkaOptions,
  core: (columns: (tf.Tensor2D | null)[]) => tf.Scalar,
): tf.Scalar {
  const { dims, weights } = checkMatryoshka(o);
  return tf.tidy(() => {
    let total = tf.scalar(0);
    dims.forEach((d, i) => {
      const loss = core(columns.map((c) => (c ? truncateEmbeddings(c, d) : null)));
      total = total.add(loss.mul(weights[i]!));
    });
    return total as tf.Scalar;
  });
}

/**
 * Any text loss under Matryoshka: each column is embedded once per step (the wrapped loss asks an encoder
 * that caches by texts and dropout seed) and the loss is taken over every prefix. GradCache's losses compute
 * their own gradients over several tapes, which this wrapper cannot see into: cached-mnrl takes the Matryoshka
 * sum inside its own full-batch loss instead (createLoss('cached-mnrl', { matryoshkaDims })).
 */
export function matryoshkaLoss<R>(inner: Loss<TextEmbedder, R>, o: MatryoshkaOptions): Loss<TextEmbedder, R> {
  const { dims, weights } = checkMatryoshka(o);
  if (inner.valueAndGrads)
    throw new Error(`matryoshka: ${inner.name} computes its own gradients (GradCache): create it with matryoshkaDims instead (createLoss)`);
  return {
    ...inner,
    name: `matryoshka(${inner.name})`,
    compute(encoder, rows, opts) {
      // The wrapped loss embeds inside its own tidy; the cache keeps each column past it for the next prefix
      // and frees it here (the gradient tape holds its own copies of what the backward pass needs).
      const cache = new Map<string, tf.Tensor2D>();
      const full = (texts: string[], e: { training: boolean; seed?: number }) => {
        const key = `${e.training}|${e.seed}|${texts.join('\u0000')}`;
        let x = cache.get(key);
        if (!x) cache.set(key, (x = tf.keep(encoder.embedTexts(texts, e))));
        return x;
      };
      try {
        return tf.tidy(() => {
          let total = tf.scalar(0);
          dims.forEach((d, i) => {
            const truncated: TextEmbedder = { embedTexts: (texts, e) => truncateEmbeddings(full(texts, e), d) };
            total = total.add(inner.compute(truncated, rows, opts).mul(weights[i]!));
          });
          return total as tf.Scalar;
        });
      } finally {
        for (const x of cache.values()) x.dispose();
      }
    },
  };
}
