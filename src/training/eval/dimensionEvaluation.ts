/**
 * Evaluation at several Matryoshka dimensions from one embedding pass (sentence-transformers evaluates each
 * `truncate_dim` with its own encode; the prefix of an embedding is all a truncated model computes, so
 * truncating the full vectors afterwards gives the same rankings at a fraction of the cost).
 */
import type { Judgments } from '../data/judgments.ts';
import { truncateRows } from '../models/truncateDim.ts';
import type { EncodeOptions, EvaluateOptions, EvaluationResult, TextEncoderLike } from './evaluator.ts';
import type { MetricOptions } from './metrics.ts';
import { RetrievalEvaluator, type RetrievalCorpus } from './retrievalEvaluator.ts';

/** The first `dim` values of `inner`'s embeddings, re-normalized (cosine rankings do not see the norm). */
export function truncatedEncoder(inner: TextEncoderLike, dim: number): TextEncoderLike {
  return { encode: async (texts, opts) => truncateRows(await inner.encode(texts, opts), dim, true) };
}

/** `inner` with its answers kept by text list, so the same corpus and queries are embedded once for every dimension. */
export function memoEncoder(inner: TextEncoderLike): TextEncoderLike {
  const seen = new Map<string, Float32Array[]>();
  return {
    async encode(texts: string[], opts?: EncodeOptions) {
      const key = texts.join('\u0000');
      const hit = seen.get(key);
      if (hit) {
        opts?.onProgress?.(hit.length, hit.length);
        return hit;
      }
      const out = await inner.encode(texts, opts);
      seen.set(key, out);
      return out;
    },
  };
}

/** Dimensions checked against the model's width, largest first (the full-size row leads the table). */
export function checkDims(dims: readonly number[], hidden: number, what = 'dims'): number[] {
  if (!dims.length) throw new RangeError(`${what}: give at least one dimension`);
  for (const d of dims)
    if (!Number.isInteger(d) || d < 1 || d > hidden) throw new RangeError(`${what}: ${d} is not an integer from 1 to the model's width ${hidden}`);
  return [...new Set(dims)].sort((a, b) => b - a);
}

/** sentence-transformers' usual Matryoshka sizes below the width, with the width itself first. */
export function defaultDims(hidden: number): number[] {
  return [hidden, ...[512, 256, 128, 64].filter((d) => d < hidden)];
}

export interface DimensionResult {
  dim: number;
  result: EvaluationResult;
}

/** Retrieval metrics of `encoder` truncated to each of `dims` (checked and sorted by the caller), embedding once. */
export async function evaluateDimensions(
  encoder: TextEncoderLike,
  corpus: RetrievalCorpus,
  judgments: Judgments,
  metricOpts: MetricOptions,
  dims: readonly number[],
  opts: EvaluateOptions = {},
): Promise<DimensionResult[]> {
  const evaluator = new RetrievalEvaluator(corpus, judgments, metricOpts);
  const memo = memoEncoder(encoder);
  const out: DimensionResult[] = [];
  for (const dim of dims) out.push({ dim, result: await evaluator.evaluate(truncatedEncoder(memo, dim), opts) });
  return out;
}
