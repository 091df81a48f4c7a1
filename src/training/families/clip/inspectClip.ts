/** What the lab shows about a CLIP model: its shape from config.json alone (estimate/refusal before download) and a loaded encoder's description. */
import type { ClipConfig } from '../../models/clip/clipConfig.ts';
import type { ClipEncoder } from '../../models/clip/clipEncoder.ts';
import type { ModelDescription } from '../family.ts';
import type { ClipShape } from '../shapes.ts';

export function clipShape(c: ClipConfig): ClipShape {
  const { text: t, vision: v } = c;
  return {
    family: 'clip',
    text: {
      hidden: t.hidden_size,
      layers: t.num_hidden_layers,
      heads: t.num_attention_heads,
      intermediate: t.intermediate_size,
      vocabSize: t.vocab_size,
      maxLength: t.max_position_embeddings,
    },
    vision: {
      hidden: v.hidden_size,
      layers: v.num_hidden_layers,
      heads: v.num_attention_heads,
      intermediate: v.intermediate_size,
      imageSize: v.image_size,
      patchSize: v.patch_size,
    },
    projectionDim: c.projection_dim,
  };
}

/** A CLIP model's description: the text tower's numbers in the BERT-shaped fields, the embedding width = projection_dim. */
export function describeClipEncoder(id: string, e: ClipEncoder, warnings: string[] = []): ModelDescription & { clip: ClipShape } {
  const shape = clipShape(e.model.config);
  let parameters = 0;
  for (const v of e.model.params.values()) parameters += v.size;
  return {
    id,
    modelType: 'clip',
    family: 'clip',
    task: 'text-image',
    hidden: shape.text.hidden,
    layers: shape.text.layers,
    heads: shape.text.heads,
    intermediate: shape.text.intermediate,
    vocabSize: shape.text.vocabSize,
    maxSeqLength: e.maxTextLength,
    pooling: 'cls',
    normalize: true,
    dim: shape.projectionDim,
    parameters,
    warnings,
    clip: shape,
  };
}
