import * as ort from 'onnxruntime-node';
import { buildBertOnnx } from '../../training/export/bertOnnx.ts';
import { parseBertConfig } from '../../training/models/bert/bertConfig.ts';
import { normalizeBertNames } from '../../training/models/bert/bertWeights.ts';
import { loadSentenceConfig, type SentenceConfig } from '../../training/models/sentenceConfig.ts';
import { loadTokenizer, type TextTokenizer } from '../../training/models/tokenizer.ts';
import { readJson, type ModelSource } from '../../training/source/modelSource.ts';
import { readSafetensors } from '../../training/weights/safetensors.ts';

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

export interface OnnxEmbedderOptions {
  intraOpNumThreads?: number;
  onWarning?: (message: string) => void;
}

async function onnxBytes(source: ModelSource, raw: Record<string, unknown>, sc: SentenceConfig, onWarning?: (m: string) => void) {
  if (await source.exists('onnx/model.onnx')) return { bytes: await source.readBytes('onnx/model.onnx'), onnx: 'file' as const };
  const config = parseBertConfig(raw, `${source.id}/config.json`);
  if (!(await source.exists('model.safetensors'))) throw new Error(`${source.id}: neither onnx/model.onnx nor model.safetensors found`);
  const file = `${source.id}/model.safetensors`;
  const { weights } = normalizeBertNames(readSafetensors(await source.readBytes('model.safetensors'), { source: file, onWarning }), config, file);
  onWarning?.(`${source.id}: no onnx/model.onnx; built the ONNX graph from model.safetensors in memory (ftlab export writes it)`);
  return { bytes: buildBertOnnx(config, weights, sc), onnx: 'built' as const };
}

export async function loadOnnxTextEmbedder(source: ModelSource, opts: OnnxEmbedderOptions = {}): Promise<OnnxTextEmbedder> {
  const raw = await readJson(source, 'config.json');
  if (raw.model_type !== 'bert')
    throw new Error(`${source.id}/config.json: model_type "${String(raw.model_type)}" is not supported by the ONNX server (bert only)`);
  const tokenizer: TextTokenizer = await loadTokenizer(source);
  const bert = parseBertConfig(raw, `${source.id}/config.json`);
  const sc = await loadSentenceConfig(source, bert, tokenizer.modelMaxLength);
  const { bytes, onnx } = await onnxBytes(source, raw, sc, opts.onWarning);
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
  });
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name))
      throw new Error(`${source.id}: the ONNX model has no input "${name}" (inputs: ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes('sentence_embedding')) {
    throw new Error(
      `${source.id}: the ONNX model has no "sentence_embedding" output (outputs: ${session.outputNames.join(', ')}); re-export it with ftlab export`,
    );
  }
  const hasTypes = session.inputNames.includes('token_type_ids');
  const dimension = bert.hidden_size;
  const i64 = (a: Int32Array, B: number, S: number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [B, S],
    );

  return {
    sourceId: source.id,
    dimension,
    config: sc,
    onnx,
    async embed(texts) {
      if (!texts.length) return [];
      const b = tokenizer.encode(texts, sc.maxSeqLength);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(b.inputIds, b.batchSize, b.seqLen),
        attention_mask: i64(b.attentionMask, b.batchSize, b.seqLen),
      };
      if (hasTypes) feeds.token_type_ids = i64(b.tokenTypeIds, b.batchSize, b.seqLen);
      const out = await session.run(feeds, ['sentence_embedding']);
      const t = out.sentence_embedding!;
      const data = t.data as Float32Array;
      const D = Number(t.dims[1]);
      if (D !== dimension) throw new Error(`${source.id}: sentence_embedding has width ${D}, config.json hidden_size ${dimension}`);
      const rows = texts.map((_, i) => data.slice(i * D, (i + 1) * D));
      t.dispose();
      return rows;
    },
    release: () => session.release(),
  };
}
