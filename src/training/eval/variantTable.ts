/**
 * The trade-off table before download (issue: choose what to ship): for each candidate — WiSE-FT α × ONNX dtype
 * × Matryoshka dimension — its retrieval metrics on the judgments, the vector bytes each product costs in Solr,
 * the model file's size, encode speed on this device and how far its embeddings moved from float32's. Every
 * (α, dtype) pair runs its real graph once over the catalogue; dimensions are prefixes of those vectors.
 */
import type { Judgments } from '../data/judgments.ts';
import { onnxVariant, type OnnxDtype } from '../export/onnxVariants.ts';
import { OnnxTextEncoder, type OnnxTextGraph } from '../inference/onnxTextEncoder.ts';
import type { OnnxRuntime } from '../inference/onnxRuntime.ts';
import { truncateRows } from '../models/truncateDim.ts';
import { evaluateDimensions } from './dimensionEvaluation.ts';
import type { EncodeOptions } from './evaluator.ts';
import type { MetricOptions } from './metrics.ts';
import type { RetrievalCorpus } from './retrievalEvaluator.ts';

export interface VariantRow {
  alpha: number;
  dtype: OnnxDtype;
  dim: number;
  /** every retrieval metric (nDCG@k, MRR@k, Recall@10/100, MAP@100) */
  metrics: Record<string, number>;
  /** a float32 vector field of `dim` values (Solr's DenseVectorField default encoding) */
  vectorBytes: number;
  /** the ONNX file the embeddings service or the browser loads */
  modelBytes: number;
  /** catalogue texts embedded per second by this variant's graph on this device */
  textsPerSec: number;
  /** cosine to the float32 graph of the same α, both cut to `dim`, over the catalogue */
  meanCosine: number;
  minCosine: number;
}

export interface VariantSpec {
  alphas: readonly number[];
  dtypes: readonly OnnxDtype[];
  /** largest first; at most the graph's width */
  dims: readonly number[];
}

export interface VariantProgress {
  /** e.g. "α 0.5 int8" */
  variant: string;
  done: number;
  total: number;
}

export interface VariantTableOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: VariantProgress) => void;
}

/** Mean and minimum row cosine of two sets of unit vectors. */
function cosineStats(a: readonly Float32Array[], b: readonly Float32Array[]): { mean: number; min: number } {
  let sum = 0;
  let min = Infinity;
  a.forEach((x, r) => {
    const y = b[r]!;
    let dot = 0;
    for (let i = 0; i < x.length; i++) dot += x[i]! * y[i]!;
    sum += dot;
    min = Math.min(min, dot);
  });
  return { mean: sum / a.length, min };
}

/**
 * The table's rows in (α, dtype, dim) order. `graph(α)` is the full-width float32 graph of θ(α); fp32 is
 * always embedded (it is the cosine reference) but only reported when asked for.
 */
export async function variantTable(
  graph: (alpha: number) => Promise<OnnxTextGraph>,
  runtime: OnnxRuntime,
  corpus: RetrievalCorpus,
  judgments: Judgments,
  metricOpts: MetricOptions,
  spec: VariantSpec,
  opts: VariantTableOptions = {},
): Promise<VariantRow[]> {
  const rows: VariantRow[] = [];
  const texts = [...corpus.texts];
  const order: OnnxDtype[] = ['fp32', ...spec.dtypes.filter((d) => d !== 'fp32')];
  for (const alpha of spec.alphas) {
    const g = await graph(alpha);
    let reference: Float32Array[] | undefined;
    for (const dtype of order) {
      opts.signal?.throwIfAborted();
      const bytes = onnxVariant(g.bytes, dtype);
      const encoder = await OnnxTextEncoder.open(runtime, { ...g, bytes });
      try {
        const variant = `α ${alpha} ${dtype}`;
        const encodeOpts: EncodeOptions = {
          batchSize: opts.batchSize ?? 32,
          signal: opts.signal,
          onProgress: (done, total) => opts.onProgress?.({ variant, done, total }),
        };
        const t0 = performance.now();
        const vectors = await encoder.encode(texts, encodeOpts);
        const textsPerSec = (texts.length * 1000) / Math.max(performance.now() - t0, 1e-3);
        reference ??= vectors;
        if (!spec.dtypes.includes(dtype)) continue;
        // the catalogue pass just timed serves the evaluation's corpus; the queries go through the graph
        const isCorpus = (t: string[]) => t.length === texts.length && t.every((x, i) => x === texts[i]);
        const known = { encode: (t: string[], o?: EncodeOptions) => (isCorpus(t) ? Promise.resolve(vectors) : encoder.encode(t, o)) };
        const byDim = await evaluateDimensions(known, { ids: corpus.ids, texts }, judgments, metricOpts, spec.dims, { signal: opts.signal });
        for (const { dim, result } of byDim) {
          const cos = cosineStats(truncateRows(vectors, dim, true), truncateRows(reference, dim, true));
          rows.push({
            alpha,
            dtype,
            dim,
            metrics: result.metrics,
            vectorBytes: 4 * dim,
            modelBytes: bytes.length,
            textsPerSec,
            meanCosine: cos.mean,
            minCosine: cos.min,
          });
        }
      } finally {
        await encoder.release();
      }
    }
  }
  return rows;
}
