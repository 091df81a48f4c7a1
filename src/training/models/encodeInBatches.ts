import * as tf from '@tensorflow/tfjs';

export interface EncodeOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The error encode() throws when its AbortSignal fires (name 'AbortError', as fetch uses). */
export class EncodeAbortedError extends Error {
  override name = 'AbortError';
}

/** Indices of `texts` shortest first: batches of similar length pad less. */
export const lengthOrder = (texts: readonly string[]): number[] => texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);

/** One batch's embeddings, row-major [rows, dim]. */
export interface EmbeddedRows {
  data: Float32Array;
  dim: number;
}

/**
 * Inference over items in the given order, `batchSize` at a time: `embed` returns one row per index, rows are
 * scattered to their input positions. The event loop gets a turn between batches so an abort (checked before
 * each batch) can land.
 */
export async function encodeRowsInBatches(
  order: readonly number[],
  opts: EncodeOptions,
  what: string,
  embed: (idx: number[]) => Promise<EmbeddedRows>,
): Promise<Float32Array[]> {
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`encode: batchSize must be a positive integer, got ${batchSize}`);
  const out: Float32Array[] = new Array(order.length);
  for (let start = 0; start < order.length; start += batchSize) {
    if (opts.signal?.aborted) {
      const reason = opts.signal.reason instanceof Error ? `: ${opts.signal.reason.message}` : '';
      throw new EncodeAbortedError(`encode aborted after ${start} of ${order.length} ${what}${reason}`);
    }
    const idx = order.slice(start, start + batchSize);
    const { data, dim } = await embed(idx);
    idx.forEach((i, r) => {
      out[i] = data.slice(r * dim, (r + 1) * dim);
    });
    opts.onProgress?.(Math.min(start + batchSize, order.length), order.length);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return out;
}

/** encodeRowsInBatches over a tfjs model: each batch's [rows, dim] tensor is read back asynchronously and disposed. */
export function encodeInBatches(
  order: readonly number[],
  opts: EncodeOptions,
  what: string,
  embed: (idx: number[]) => tf.Tensor2D,
): Promise<Float32Array[]> {
  return encodeRowsInBatches(order, opts, what, async (idx) => {
    const emb = embed(idx);
    try {
      return { data: (await emb.data()) as Float32Array, dim: emb.shape[1] };
    } finally {
      emb.dispose();
    }
  });
}
