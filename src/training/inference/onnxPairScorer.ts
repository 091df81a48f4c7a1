/**
 * A cross-encoder's forward pass on onnxruntime: the sequence-classifier graph the exporter builds in memory from
 * the loaded weights, fed the pairs the tfjs model's tokenizer encodes (same truncation, same ids), giving the
 * raw logits [pairs, num_labels] the tfjs SequenceClassifier gives.
 */
import type { EncodedBatch } from '../models/tokenizer.ts';
import { int64Feed, openSession, type OnnxRuntime, type OnnxSessionLike } from './onnxRuntime.ts';

const INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

export class OnnxPairScorer {
  private constructor(
    private readonly session: OnnxSessionLike,
    private readonly numLabels: number,
  ) {}

  /** A session over `bytes`; refused (and released) when it lacks the BERT inputs or `logits`. */
  static async open(runtime: OnnxRuntime, bytes: Uint8Array, numLabels: number): Promise<OnnxPairScorer> {
    return new OnnxPairScorer(await openSession(runtime, bytes, { inputs: INPUTS, outputs: ['logits'] }), numLabels);
  }

  async logits(b: EncodedBatch): Promise<Float32Array> {
    const dims = [b.batchSize, b.seqLen];
    const out = await this.session.run(
      { input_ids: int64Feed(b.inputIds, dims), attention_mask: int64Feed(b.attentionMask, dims), token_type_ids: int64Feed(b.tokenTypeIds, dims) },
      ['logits'],
    );
    const logits = out.logits!;
    if (logits.dims.length !== 2 || Number(logits.dims[0]) !== b.batchSize || Number(logits.dims[1]) !== this.numLabels)
      throw new Error(`ONNX logits have shape [${logits.dims}], expected [${b.batchSize}, ${this.numLabels}]`);
    return logits.data;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
