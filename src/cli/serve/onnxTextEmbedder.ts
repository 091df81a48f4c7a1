import type * as ort from 'onnxruntime-node';
import { buildBertOnnx } from '../../training/export/bertOnnx.ts';
import { parseBertConfig } from '../../training/models/bert/bertConfig.ts';
import { normalizeBertNames } from '../../training/models/bert/bertWeights.ts';
import { loadSentenceConfig, type SentenceConfig } from '../../training/models/sentenceConfig.ts';
import { loadTokenizer, type TextTokenizer } from '../../training/models/tokenizer.ts';
import { readJson, type ModelSource } from '../../training/source/modelSource.ts';
import { embeddingDimension, truncateRows } from '../../training/models/truncateDim.ts';
import { embeddingRows, int64Tensor, onnxGraphBytes, openEmbeddingSession, type OnnxEmbedderOptions } from './onnxSession.ts';

export type { OnnxEmbedderOptions } from './onnxSession.ts';

/**
 * A sentence-transformers text model run by onnxruntime-node: the exported onnx/model.onnx (or, for a
 * folder that has none, the same graph built in memory from model.safetensors), fed by ftlab's tokenizer
 * with sentence_bert_config.json's max_seq_length, reading the `sentence_embedding` output (pooling and
 * Normalize are inside the graph).
 */
export interface OnnxTextEmbedder {
  readonly sourceId: string;
  readonly dimension: number;
  readonly config: SentenceConfig;
  /** 'file' = onnx/model.onnx, 'built' = built from model.safetensors at load time */
  readonly onnx: 'file' | 'built';
  /** one ORT call for all texts; rows in input order */
  embed(texts: string[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function loadOnnxTextEmbedder(source: ModelSource, opts: OnnxEmbedderOptions = {}): Promise<OnnxTextEmbedder> {
  const raw = await readJson(source, 'config.json');
  if (raw.model_type !== 'bert')
    throw new Error(`${source.id}/config.json: model_type "${String(raw.model_type)}" is not supported by the ONNX server (bert only)`);
  const tokenizer: TextTokenizer = await loadTokenizer(source);
  const bert = parseBertConfig(raw, `${source.id}/config.json`);
  const sc = await loadSentenceConfig(source, bert, tokenizer.modelMaxLength);
  const { bytes, onnx } = await onnxGraphBytes(
    source,
    'onnx/model.onnx',
    'the ONNX graph',
    (tensors, file) => buildBertOnnx(bert, normalizeBertNames(tensors, bert, file).weights, sc),
    opts,
  );
  const session = await openEmbeddingSession(bytes, 'sentence_embedding', source.id, opts);
  const hasTypes = session.inputNames.includes('token_type_ids');
  const dimension = embeddingDimension(sc, bert.hidden_size);

  return {
    sourceId: source.id,
    dimension,
    config: sc,
    onnx,
    async embed(texts) {
      if (!texts.length) return [];
      const b = tokenizer.encode(texts, sc.maxSeqLength);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64Tensor(b.inputIds, b.batchSize, b.seqLen),
        attention_mask: int64Tensor(b.attentionMask, b.batchSize, b.seqLen),
      };
      if (hasTypes) feeds.token_type_ids = int64Tensor(b.tokenTypeIds, b.batchSize, b.seqLen);
      const out = (await session.run(feeds, ['sentence_embedding'])).sentence_embedding!;
      const where = `${source.id}: sentence_embedding`;
      // a graph exported before truncate_dim was set still has the full width: truncate it here
      if (sc.truncateDim && Number(out.dims[1]) === bert.hidden_size)
        return truncateRows(embeddingRows(out, texts.length, bert.hidden_size, where, 'hidden_size'), sc.truncateDim, sc.normalize);
      return embeddingRows(out, texts.length, dimension, where, sc.truncateDim ? 'hidden_size, truncated by truncate_dim to' : 'hidden_size');
    },
    release: () => session.release(),
  };
}
