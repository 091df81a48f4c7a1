import { buildClipTextOnnx } from '../../training/export/clipOnnx.ts';
import { parseClipConfig } from '../../training/models/clip/clipConfig.ts';
import { normalizeClipNames } from '../../training/models/clip/clipWeights.ts';
import { loadTokenizer, type TextTokenizer } from '../../training/models/tokenizer.ts';
import { readJson, type ModelSource } from '../../training/source/modelSource.ts';
import type { TextEmbedder } from './embeddingServer.ts';
import { embeddingRows, int64Tensor, onnxGraphBytes, openEmbeddingSession, type OnnxEmbedderOptions } from './onnxSession.ts';

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

export async function loadOnnxClipTextEmbedder(source: ModelSource, opts: OnnxEmbedderOptions = {}): Promise<OnnxClipTextEmbedder> {
  const raw = await readJson(source, 'config.json');
  if (raw.model_type !== 'clip') throw new Error(`${source.id}/config.json: model_type "${String(raw.model_type)}" is not "clip"`);
  const config = parseClipConfig(raw, `${source.id}/config.json`);
  const tokenizer: TextTokenizer = await loadTokenizer(source);
  // the length the model was trained with, as ClipEncoder (and so `ftlab embed` / eval) truncates
  const positions = config.text.max_position_embeddings;
  const maxSeqLength = Math.min(positions, tokenizer.modelMaxLength ?? positions);
  const { bytes, onnx } = await onnxGraphBytes(
    source,
    FILE,
    'the CLIP text graph',
    (tensors, file) => buildClipTextOnnx(config, normalizeClipNames(tensors, config, file).weights),
    opts,
  );
  const session = await openEmbeddingSession(bytes, 'text_embeds', `${source.id}/${FILE}`, opts);
  const dimension = config.projection_dim;

  return {
    sourceId: source.id,
    dimension,
    config: { maxSeqLength, pooling: 'eos', normalize: false },
    onnx,
    async embed(texts) {
      if (!texts.length) return [];
      const b = tokenizer.encode(texts, maxSeqLength);
      const out = await session.run(
        { input_ids: int64Tensor(b.inputIds, b.batchSize, b.seqLen), attention_mask: int64Tensor(b.attentionMask, b.batchSize, b.seqLen) },
        ['text_embeds'],
      );
      return embeddingRows(out.text_embeds!, texts.length, dimension, `${source.id}: text_embeds`, 'projection_dim');
    },
    release: () => session.release(),
  };
}
