import * as ort from 'onnxruntime-node';
import { buildClipTextOnnx } from '../../training/export/clipOnnx.ts';
import { parseClipConfig, type ClipConfig } from '../../training/models/clip/clipConfig.ts';
import { normalizeClipNames } from '../../training/models/clip/clipWeights.ts';
import { loadTokenizer, type TextTokenizer } from '../../training/models/tokenizer.ts';
import { readJson, type ModelSource } from '../../training/source/modelSource.ts';
import { readSafetensors } from '../../training/weights/safetensors.ts';
import type { TextEmbedder } from './embeddingServer.ts';
import type { OnnxEmbedderOptions } from './onnxTextEmbedder.ts';

/**
 * The text tower of a CLIP folder (ftlab export's onnx/text_model.onnx, or the same graph built in memory from
 * model.safetensors) run by onnxruntime-node: what Chorus' /ftclip/text/ route answers. It returns `text_embeds`
 * as CLIPTextModelWithProjection does, unnormalized; the server normalizes per request.
 */
export interface OnnxClipTextEmbedder extends TextEmbedder {
  readonly config: { maxSeqLength: number; pooling: 'eos'; normalize: false };
  readonly onnx: 'file' | 'built';
}

const FILE = 'onnx/text_model.onnx';

async function onnxBytes(source: ModelSource, config: ClipConfig, onWarning?: (m: string) => void) {
  if (await source.exists(FILE)) return { bytes: await source.readBytes(FILE), onnx: 'file' as const };
  if (!(await source.exists('model.safetensors'))) throw new Error(`${source.id}: neither ${FILE} nor model.safetensors found`);
  const file = `${source.id}/model.safetensors`;
  const { weights } = normalizeClipNames(readSafetensors(await source.readBytes('model.safetensors'), { source: file, onWarning }), config, file);
  onWarning?.(`${source.id}: no ${FILE}; built the CLIP text graph from model.safetensors in memory (ftlab export writes it)`);
  return { bytes: buildClipTextOnnx(config, weights), onnx: 'built' as const };
}

export async function loadOnnxClipTextEmbedder(source: ModelSource, opts: OnnxEmbedderOptions = {}): Promise<OnnxClipTextEmbedder> {
  const raw = await readJson(source, 'config.json');
  if (raw.model_type !== 'clip') throw new Error(`${source.id}/config.json: model_type "${String(raw.model_type)}" is not "clip"`);
  const config = parseClipConfig(raw, `${source.id}/config.json`);
  const tokenizer: TextTokenizer = await loadTokenizer(source);
  // the length the model was trained with, as ClipEncoder (and so `ftlab embed` / eval) truncates
  const positions = config.text.max_position_embeddings;
  const maxSeqLength = Math.min(positions, tokenizer.modelMaxLength ?? positions);
  const { bytes, onnx } = await onnxBytes(source, config, opts.onWarning);
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
  });
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      await session.release();
      throw new Error(`${source.id}/${FILE}: the ONNX model has no input "${name}" (inputs: ${session.inputNames.join(', ')})`);
    }
  }
  if (!session.outputNames.includes('text_embeds')) {
    await session.release();
    throw new Error(
      `${source.id}/${FILE}: the ONNX model has no "text_embeds" output (outputs: ${session.outputNames.join(', ')}); re-export it with ftlab export`,
    );
  }
  const dimension = config.projection_dim;
  const i64 = (a: Int32Array, B: number, S: number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [B, S],
    );

  return {
    sourceId: source.id,
    dimension,
    config: { maxSeqLength, pooling: 'eos', normalize: false },
    onnx,
    async embed(texts) {
      if (!texts.length) return [];
      const b = tokenizer.encode(texts, maxSeqLength);
      const out = await session.run(
        { input_ids: i64(b.inputIds, b.batchSize, b.seqLen), attention_mask: i64(b.attentionMask, b.batchSize, b.seqLen) },
        ['text_embeds'],
      );
      const t = out.text_embeds!;
      const data = t.data as Float32Array;
      const D = Number(t.dims[1]);
      if (D !== dimension) throw new Error(`${source.id}: text_embeds has width ${D}, config.json projection_dim ${dimension}`);
      const rows = texts.map((_, i) => data.slice(i * D, (i + 1) * D));
      t.dispose();
      return rows;
    },
    release: () => session.release(),
  };
}
