/** What the lab shows about a CLIP model: its shape from config.json alone (estimate/refusal before download) and a loaded encoder's info. */
import { parseClipConfig, type ClipConfig } from '../training/models/clip/clipConfig.ts';
import type { ClipEncoder } from '../training/models/clip/clipEncoder.ts';
import { readJson, type ModelSource } from '../training/source/modelSource.ts';
import type { ModelInfo } from './api/labApi.ts';
import type { ClipShape } from './api/clipRequest.ts';

export function clipShape(c: ClipConfig): ClipShape {
  const { text: t, vision: v } = c;
  return {
    text: { hidden: t.hidden_size, layers: t.num_hidden_layers, heads: t.num_attention_heads, intermediate: t.intermediate_size, vocabSize: t.vocab_size, maxLength: t.max_position_embeddings },
    vision: { hidden: v.hidden_size, layers: v.num_hidden_layers, heads: v.num_attention_heads, intermediate: v.intermediate_size, imageSize: v.image_size, patchSize: v.patch_size },
    projectionDim: c.projection_dim,
  };
}

/** true when config.json says model_type "clip" (the lab then loads it with the CLIP loader). */
export async function isClipSource(source: ModelSource): Promise<boolean> {
  return (await readJson(source, 'config.json')).model_type === 'clip';
}

export async function inspectClipSource(source: ModelSource): Promise<ClipShape & { id: string }> {
  const raw = await readJson(source, 'config.json');
  if (raw.model_type !== 'clip') {
    throw new Error(`${source.id}/config.json: model_type is "${String(raw.model_type ?? 'missing')}", not "clip": CLIP mode needs a CLIP model (e.g. openai/clip-vit-base-patch32)`);
  }
  return { id: source.id, ...clipShape(parseClipConfig(raw, `${source.id}/config.json`)) };
}

/** A CLIP model's ModelInfo: the text tower's numbers in the BERT-shaped fields, the embedding width = projection_dim. */
export type ClipModelInfo = ModelInfo & { clip: ClipShape };

export function clipEncoderInfo(id: string, e: ClipEncoder, warnings: string[] = []): ClipModelInfo {
  const shape = clipShape(e.model.config);
  let parameters = 0;
  for (const v of e.model.params.values()) parameters += v.size;
  return {
    id, modelType: 'clip', hidden: shape.text.hidden, layers: shape.text.layers, heads: shape.text.heads, intermediate: shape.text.intermediate,
    vocabSize: shape.text.vocabSize, maxSeqLength: e.maxTextLength, pooling: 'cls', normalize: true, dim: shape.projectionDim, parameters, warnings,
    clip: shape,
  };
}
