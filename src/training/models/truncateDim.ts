/**
 * Matryoshka truncation (sentence-transformers' `truncate_dim`): a model trained with MatryoshkaLoss keeps
 * most of its quality in a prefix of its embedding, so it can ship smaller vectors (less Solr memory, faster
 * HNSW). ftlab stores the chosen dimension as `truncate_dim` in config_sentence_transformers.json and applies
 * it wherever the model embeds for inference — tfjs encode, the ONNX graph's `sentence_embedding`, the server
 * and the Solr vectors — never in the training forward, which keeps every dimension trainable.
 */
import { ModelConfigError } from './bert/bertConfig.ts';
import { readJsonIfExists, type ModelSource } from '../source/modelSource.ts';

/** `dim` must be an integer from 1 to the model's hidden size; `what` names the option or field in the message. */
export function checkTruncateDim(dim: unknown, hidden: number, what: string): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1 || dim > hidden)
    throw new ModelConfigError(`${what} must be an integer from 1 to the model's hidden size ${hidden}, got ${JSON.stringify(dim)}`);
  return dim;
}

/** `truncate_dim` from config_sentence_transformers.json, or undefined (absent, null, or the full size). */
export async function readTruncateDim(source: ModelSource, hidden: number): Promise<number | undefined> {
  const file = 'config_sentence_transformers.json';
  const raw = await readJsonIfExists(source, file);
  const dim = raw?.truncate_dim;
  if (dim === undefined || dim === null) return undefined;
  const d = checkTruncateDim(dim, hidden, `${source.id}/${file}: truncate_dim`);
  return d === hidden ? undefined : d;
}

/** The length of the vectors the model hands out for inference. */
export function embeddingDimension(sc: { truncateDim?: number }, hidden: number): number {
  return sc.truncateDim ?? hidden;
}

/**
 * The first `dim` values of each row, re-normalized when `normalize` (a unit vector's prefix is not one,
 * and Solr's dot_product similarity needs unit vectors). Rows already `dim` long pass through unchanged
 * when not normalized, and are re-normalized (a no-op up to rounding) when they are.
 */
export function truncateRows(rows: readonly Float32Array[], dim: number, normalize: boolean): Float32Array[] {
  return rows.map((r) => {
    if (r.length < dim) throw new Error(`cannot truncate a ${r.length}-d embedding to ${dim} dimensions`);
    const out = r.slice(0, dim);
    if (!normalize) return out;
    let sq = 0;
    for (let i = 0; i < dim; i++) sq += out[i]! * out[i]!;
    const inv = 1 / Math.max(Math.sqrt(sq), 1e-12);
    for (let i = 0; i < dim; i++) out[i]! *= inv;
    return out;
  });
}
