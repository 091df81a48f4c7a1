import * as tf from '@tensorflow/tfjs';
import type { ClipImageConfig } from '../../images/clipImageProcessor.ts';
import { l2normalize } from '../pooling.ts';
import { encodeInBatches, lengthOrder, type EncodeOptions } from '../encodeInBatches.ts';
import type { TextTokenizer } from '../tokenizer.ts';
import type { ClipModel } from './clipModel.ts';
import { clipTextInputs, type ClipTextInputs } from './clipTextInputs.ts';

/** What a ClipEncoder is built from (loadClipEncoder reads them from a model folder). */
export type ClipEncoderParts = Pick<ClipEncoder, 'model' | 'tokenizer' | 'imageConfig' | 'modelConfig' | 'preprocessorConfig' | 'sourceId'> & {
  /** default: min(max_position_embeddings, tokenizer model_max_length) */
  maxTextLength?: number;
};

/** A CLIP model with its tokenizer and image preprocessing: the text and image embedders ftlab trains and serves. */
export class ClipEncoder {
  model: ClipModel;
  tokenizer: TextTokenizer;
  imageConfig: ClipImageConfig;
  /** config.json as read (exports write it back) */
  modelConfig: Record<string, unknown>;
  /** preprocessor_config.json as read, or as built from imageConfig when the model had none */
  preprocessorConfig: Record<string, unknown>;
  sourceId: string;
  maxTextLength: number;

  constructor(parts: ClipEncoderParts) {
    this.model = parts.model;
    this.tokenizer = parts.tokenizer;
    this.imageConfig = parts.imageConfig;
    this.modelConfig = parts.modelConfig;
    this.preprocessorConfig = parts.preprocessorConfig;
    this.sourceId = parts.sourceId;
    const positions = parts.model.config.text.max_position_embeddings;
    this.maxTextLength = parts.maxTextLength ?? Math.min(positions, parts.tokenizer.modelMaxLength ?? positions);
    if (!Number.isInteger(this.maxTextLength) || this.maxTextLength < 2 || this.maxTextLength > positions) {
      throw new Error(`${parts.sourceId}: maxTextLength ${this.maxTextLength} must be an integer in 2..${positions} (max_position_embeddings)`);
    }
  }

  /** Tokenized tensors (<|startoftext|> text <|endoftext|>, truncated to maxTextLength); the caller disposes them. */
  toTextInputs(texts: string[]): ClipTextInputs {
    return clipTextInputs(this.tokenizer.encode(texts, this.maxTextLength), this.model.config.text);
  }

  /** Projected text embeddings [texts.length, projection_dim], NOT normalized, on the caller's tape. */
  embedTexts(texts: string[], opts: { training: boolean }): tf.Tensor2D {
    if (texts.length === 0) throw new Error('embedTexts: no texts');
    const x = this.toTextInputs(texts);
    try {
      return this.model.textFeatures(x, { training: opts.training });
    } finally {
      tf.dispose([x.inputIds, x.attentionMask, x.eosOneHot]);
    }
  }

  /** Projected image embeddings [B, projection_dim] of preprocessed pixel_values [B, C, H, W], NOT normalized. */
  embedPixels(pixels: tf.Tensor4D, opts: { training: boolean }): tf.Tensor2D {
    return this.model.imageFeatures(pixels, { training: opts.training });
  }

  /** L2-normalized text embeddings in input order (batched by length, so less padding); eval's TextEncoderLike. */
  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const order = lengthOrder(texts);
    return encodeInBatches(order, opts, 'texts', (idx) =>
      tf.tidy(() =>
        l2normalize(
          this.embedTexts(
            idx.map((i) => texts[i]!),
            { training: false },
          ),
        ),
      ),
    );
  }

  /** L2-normalized image embeddings of preprocessed CHW pixel arrays (H2's preprocessClipImage), in input order. */
  async encodeImages(images: Float32Array[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    const v = this.model.config.vision;
    const shape = [v.num_channels, v.image_size, v.image_size] as const;
    const size = shape[0] * shape[1] * shape[2];
    images.forEach((img, i) => {
      if (img.length !== size) {
        throw new Error(`encodeImages: image ${i} has ${img.length} values; the model needs ${shape.join('x')} = ${size} (preprocessed CHW)`);
      }
    });
    return encodeInBatches(
      images.map((_, i) => i),
      opts,
      'images',
      (idx) => {
        const data = new Float32Array(idx.length * size);
        idx.forEach((i, r) => data.set(images[i]!, r * size));
        const pixels = tf.tensor4d(data, [idx.length, ...shape]);
        try {
          return tf.tidy(() => l2normalize(this.embedPixels(pixels, { training: false })));
        } finally {
          pixels.dispose();
        }
      },
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}
