/**
 * Image embeddings for `ftlab embed --images` and `ftlab vectors --images`: products' images through a CLIP
 * image tower, L2-normalized (what Solr's cosine KNN and the text tower's queries expect). An image that
 * fails to decode yields no vector and is reported, so one corrupt file in 20,000 does not stop an export.
 */
import { writeFile } from 'node:fs/promises';
import { preview } from '../../training/data/corpus.ts';
import { loadPixelsBatch, type ImageProvider } from '../../training/images/imageProvider.ts';
import type { ClipEncoder } from '../../training/models/clip/clipEncoder.ts';
import { progressReporter } from '../progress.ts';
import { CliError } from '../cliError.ts';
import { loadClipModel, openImageFolder } from './clipInputs.ts';

/** Embeds the images of `keys` (undefined where one cannot be loaded). */
export function imageEmbedder(encoder: ClipEncoder, images: ImageProvider, batchSize: number) {
  return async (keys: string[]): Promise<(Float32Array | undefined)[]> => {
    const out: (Float32Array | undefined)[] = new Array(keys.length).fill(undefined);
    // one batch of decoded pixels at a time: 224² pixels are 600 KB each
    for (let start = 0; start < keys.length; start += batchSize) {
      const { pixels } = await loadPixelsBatch(images, keys.slice(start, start + batchSize));
      const present = pixels.flatMap((p, i) => (p ? [i] : []));
      if (!present.length) continue;
      const vecs = await encoder.encodeImages(
        present.map((i) => pixels[i]!),
        { batchSize },
      );
      present.forEach((i, k) => {
        out[start + i] = vecs[k];
      });
    }
    return out;
  };
}

export function reportImageFailures(images: ImageProvider): void {
  const failed = images.failures();
  if (failed.length)
    process.stderr.write(`warning: ${failed.length} image(s) could not be loaded and have no vector: ${preview(failed.map((f) => f.reason))}\n`);
}

/** `ftlab embed --images <dir>`: every image in the folder -> {"model", "dim", "ids", "embeddings"}. */
export async function embedImageFolder(o: { model: string; images: string; output: string; batchSize: number }): Promise<void> {
  const encoder = await loadClipModel(o.model);
  try {
    const images = await openImageFolder(o.images, encoder.imageConfig);
    const keys = images.keys();
    const progress = progressReporter('embed images');
    const embed = imageEmbedder(encoder, images, o.batchSize);
    const vectors: (Float32Array | undefined)[] = [];
    for (let start = 0; start < keys.length; start += 256) {
      vectors.push(...(await embed(keys.slice(start, start + 256))));
      progress(Math.min(start + 256, keys.length), keys.length);
    }
    reportImageFailures(images);
    const ok = keys.flatMap((k, i) => (vectors[i] ? [{ id: k, v: vectors[i] }] : []));
    if (!ok.length) throw new CliError(`--images ${o.images}: none of the ${keys.length} images could be loaded`);
    const dim = ok[0]!.v.length;
    // one row per line, like embed for texts; ids say which image each row is
    await writeFile(
      o.output,
      `{"model": ${JSON.stringify(o.model)}, "dim": ${dim}, "ids": ${JSON.stringify(ok.map((r) => r.id))}, "embeddings": [\n` +
        `${ok.map((r) => JSON.stringify(Array.from(r.v))).join(',\n')}\n]}\n`,
    );
    process.stderr.write(`embedded ${ok.length} images (dim ${dim}) -> ${o.output}\n`);
  } finally {
    encoder.dispose();
  }
}
