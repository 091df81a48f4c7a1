import { AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, Tensor } from '@huggingface/transformers';
import {
  checkLabel,
  crossEncoderLabels,
  resolveMaxLength,
  scoreInBatches,
  type CrossEncoder,
  type LoadCrossEncoderOptions,
} from './crossEncoderContract.ts';
import { pairEncoder } from './tokenizer.ts';

type Runnable = (inputs: Record<string, Tensor>) => Promise<{ logits?: Tensor }>;

/**
 * A cross-encoder run by transformers.js (onnxruntime) from a Hub id or an absolute local folder: its
 * AutoTokenizer with text pairs, AutoModelForSequenceClassification, raw logits. The pairs are encoded with
 * ftlab's pairEncoder on that tokenizer, because transformers.js truncates a too-long pair by cutting the
 * finished sequence (losing the last [SEP]) instead of Hugging Face's longest_first on the texts.
 */
export async function loadOnnxCrossEncoder(ref: string, opts: LoadCrossEncoderOptions = {}): Promise<CrossEncoder> {
  const file = `${ref}/config.json`;
  const config = (await AutoConfig.from_pretrained(ref)) as unknown as Record<string, unknown>;
  const numLabels = crossEncoderLabels(config, file);
  const label = checkLabel(opts.label ?? 0, numLabels, file);
  const tokenizer = await AutoTokenizer.from_pretrained(ref);
  const padId = tokenizer.pad_token_id ?? 0;
  const encode = pairEncoder(tokenizer, padId);
  const modelMax = tokenizer.model_max_length as number | undefined;
  const maxLength = resolveMaxLength(
    typeof modelMax === 'number' && modelMax > 0 && modelMax < 1e12 ? modelMax : undefined,
    typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : undefined,
    opts.maxLength,
  );
  const model = await AutoModelForSequenceClassification.from_pretrained(ref, {
    dtype: (opts.dtype ?? 'fp32') as 'fp32',
    ...(opts.device ? { device: opts.device as 'cpu' } : {}),
  });
  const run = model as unknown as Runnable;
  const int64 = (a: Int32Array, dims: number[]) =>
    new Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      dims,
    );

  return {
    id: ref,
    score(pairs, scoreOpts = {}) {
      return scoreInBatches(pairs, scoreOpts, async (a, b) => {
        const e = encode(a, b, maxLength);
        const dims = [e.batchSize, e.seqLen];
        const out = await run({
          input_ids: int64(e.inputIds, dims),
          attention_mask: int64(e.attentionMask, dims),
          token_type_ids: int64(e.tokenTypeIds, dims),
        });
        if (!out.logits) throw new Error(`${ref}: the ONNX model has no "logits" output (not a sequence classifier export)`);
        const data = out.logits.data as Float32Array;
        const n = out.logits.dims.at(-1) ?? 1;
        return Float32Array.from({ length: a.length }, (_, r) => data[r * n + label]!);
      });
    },
    dispose() {
      void model.dispose();
    },
  };
}
