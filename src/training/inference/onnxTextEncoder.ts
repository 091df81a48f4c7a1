/**
 * A text encoder run by onnxruntime over an ONNX graph of one set of weights (the family's exporter builds it in
 * memory): tokenized like the tfjs encoder, batched by length as it is, reading one [batch, dim] output whose
 * rows are the embeddings (pooling and normalisation are inside the graph).
 */
import type { EncodeOptions, TextEncoderLike } from '../eval/evaluator.ts';
import type { EncodedBatch } from '../models/tokenizer.ts';
import { encodeRowsInBatches, lengthOrder } from '../models/encodeInBatches.ts';
import { int64Feed, openSession, type Int64Feed, type OnnxRuntime, type OnnxSessionLike } from './onnxRuntime.ts';

/** What a family hands over for forward-only inference of its current weights. */
export interface OnnxTextGraph {
  bytes: Uint8Array;
  /** the [batch, dim] output holding the embeddings */
  output: string;
  dim: number;
  tokenize(texts: string[]): EncodedBatch;
}

export class OnnxTextEncoder implements TextEncoderLike {
  private constructor(
    private readonly session: OnnxSessionLike,
    private readonly graph: Omit<OnnxTextGraph, 'bytes'>,
    readonly runtime: string,
  ) {}

  /** A session over the graph; refused (and released) when it lacks the inputs or the output the graph promises. */
  static async open(runtime: OnnxRuntime, graph: OnnxTextGraph): Promise<OnnxTextEncoder> {
    const session = await openSession(runtime, graph.bytes, { inputs: ['input_ids', 'attention_mask'], outputs: [graph.output] });
    const { bytes: _bytes, ...rest } = graph;
    return new OnnxTextEncoder(session, rest, runtime.name);
  }

  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const order = lengthOrder(texts);
    const withTypes = this.session.inputNames.includes('token_type_ids');
    return encodeRowsInBatches(order, opts, 'texts', async (idx) => {
      const b = this.graph.tokenize(idx.map((i) => texts[i]!));
      const dims = [b.batchSize, b.seqLen];
      const feeds: Record<string, Int64Feed> = { input_ids: int64Feed(b.inputIds, dims), attention_mask: int64Feed(b.attentionMask, dims) };
      if (withTypes) feeds.token_type_ids = int64Feed(b.tokenTypeIds, dims);
      const out = (await this.session.run(feeds, [this.graph.output]))[this.graph.output]!;
      const dim = Number(out.dims[1]);
      if (out.dims.length !== 2 || Number(out.dims[0]) !== idx.length || dim !== this.graph.dim)
        throw new Error(`ONNX ${this.graph.output} has shape [${out.dims}], expected [${idx.length}, ${this.graph.dim}]`);
      return { data: out.data, dim };
    });
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
