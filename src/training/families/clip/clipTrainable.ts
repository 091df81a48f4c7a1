import * as tf from '@tensorflow/tfjs';
import type { ClipRow } from '../../data/clipRows.ts';
import { loadPixelsBatch, type ImageProvider } from '../../images/imageProvider.ts';
import type { ClipEmbedder } from '../../losses/clipLoss.ts';
import type { PreparedBatch } from '../../losses/loss.ts';
import type { ClipEncoder } from '../../models/clip/clipEncoder.ts';
import type { TrainableEncoder } from '../../train/trainTypes.ts';

/**
 * open_clip's weight-decay rule: none on parameters with fewer than two dimensions (gains, biases, the class
 * embedding) nor on the temperature; HF Trainer's name-based rule would miss class_embedding and logit_scale.
 */
export function openClipNoDecay(params: ReadonlyMap<string, { shape: readonly number[] }>): (name: string) => boolean {
  return (name) => (params.get(name)?.shape.length ?? 0) < 2 || name.includes('logit_scale');
}

export interface ClipTrainableOptions {
  /** images decoded in parallel per batch; default 4 */
  concurrency?: number;
}

/**
 * A ClipEncoder shaped for the training loop: the text and image towers for the 'clip' loss, the batch's
 * pixels loaded before each gradient (decoding is async and cannot run inside tf.variableGrads), the logit
 * scale clamped after each update and open_clip's decay rule. A batch whose image cannot be loaded stops
 * training with the file and reason: skipping it would change which rows later steps see.
 */
export function clipTrainable(
  encoder: ClipEncoder,
  images: ImageProvider,
  opts: ClipTrainableOptions = {},
): TrainableEncoder<ClipRow> & ClipEmbedder {
  const { model } = encoder;
  const [c, h, w] = [model.config.vision.num_channels, model.config.vision.image_size, model.config.vision.image_size];
  return {
    model,
    get logitScale() {
      return model.logitScale;
    },
    embedTexts: (texts, o) => encoder.embedTexts(texts, o),
    embedPixels: (pixels, o) => encoder.embedPixels(pixels, o),
    noDecay: openClipNoDecay(model.params),
    afterStep: () => model.clampLogitScale(),
    async prepareBatch(rows: readonly ClipRow[], signal?: AbortSignal): Promise<PreparedBatch> {
      const { pixels, failures } = await loadPixelsBatch(
        images,
        rows.map((r) => r.image),
        { signal, concurrency: opts.concurrency },
      );
      if (failures.length) {
        const f = failures[0]!;
        throw new Error(
          `image "${f.key}" could not be loaded: ${f.reason}${failures.length > 1 ? ` (and ${failures.length - 1} more in this batch)` : ''}`,
        );
      }
      const size = c * h * w;
      const data = new Float32Array(rows.length * size);
      pixels.forEach((p, i) => {
        if (p!.length !== size) throw new Error(`image "${rows[i]!.image}": ${p!.length} preprocessed values, the model needs ${c}x${h}x${w}`);
        data.set(p!, i * size);
      });
      return { pixels: tf.tensor4d(data, [rows.length, c, h, w]) };
    },
  };
}
