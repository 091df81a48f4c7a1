/**
 * The half of a RetrievalIndex that does not care what the corpus holds: its embeddings computed once (a
 * failed or aborted pass is not cached, so the next call starts over), one normalized matrix of them, and
 * exact cosine top-k for query texts embedded by the encoder's text side.
 */
import type { EncodeOptions, TextEncoderLike } from './evaluator.ts';
import { normalizeRows, unit, type NormalizedMatrix } from './topk.ts';
import { matMulTopK } from './matMulTopK.ts';

export abstract class CachedCorpusIndex {
  abstract readonly encoder: TextEncoderLike & { readonly engine?: string; release?(): Promise<void> };
  /** product ids of the matrix rows, in corpus order */
  abstract readonly ids: readonly string[];
  private vectors?: Promise<Float32Array[]>;
  private matrixCache?: NormalizedMatrix;

  /** one uncached pass over the corpus */
  protected abstract embedCorpus(opts: EncodeOptions): Promise<Float32Array[]>;

  corpus(opts: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!this.vectors) {
      const p = this.embedCorpus(opts);
      this.vectors = p;
      p.catch(() => {
        if (this.vectors === p) this.vectors = undefined;
      });
    }
    return this.vectors;
  }

  get engine(): string | undefined {
    return this.encoder.engine;
  }

  async release(): Promise<void> {
    await this.encoder.release?.();
  }

  async matrix(opts: EncodeOptions = {}): Promise<NormalizedMatrix> {
    this.matrixCache ??= normalizeRows(await this.corpus(opts));
    return this.matrixCache;
  }

  async queryVectors(queries: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    return (await this.encoder.encode(queries, { signal: opts.signal })).map(unit);
  }

  /** Top-k corpus rows for each query text, as product ids with cosine scores. */
  async search(queries: string[], k: number, opts: EncodeOptions = {}): Promise<{ ids: string[]; scores: number[] }[]> {
    const m = await this.matrix(opts);
    const qv = await this.encoder.encode(queries, { signal: opts.signal });
    return (await matMulTopK(qv, m, Math.min(k, m.rows), { signal: opts.signal })).map((h) => ({
      ids: Array.from(h.indices, (r) => this.ids[r]!),
      scores: Array.from(h.scores),
    }));
  }
}
