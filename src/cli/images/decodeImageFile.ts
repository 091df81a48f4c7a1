import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageDecodeError, toRgb, type RgbImage } from '../../training/images/rgbImage.ts';

export { ImageDecodeError };

/**
 * Decodes image bytes (JPEG, PNG, WebP, GIF first frame, TIFF, AVIF) to 8-bit RGB the way Hugging Face
 * sees them through PIL's Image.open(...).convert('RGB'):
 * - no EXIF rotation (PIL does not apply it; transformers' processor does not either),
 * - embedded ICC profiles ignored (PIL does not colour-manage on open),
 * - alpha dropped without compositing, grey replicated to RGB, palettes expanded,
 * - 16-bit samples reduced to their high byte (PIL's RGB;16B unpacker does the same for 16-bit RGB;
 *   for 16-bit grey PIL saturates values above 255 instead, a quirk not reproduced here).
 */
export async function decodeImageBytes(bytes: Uint8Array, name: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes, { ignoreIcc: true, autoOrient: false }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    // sharp expands grey to 3 channels for raw output but keeps alpha; toRgb drops it like convert('RGB').
    return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels);
  } catch (e) {
    throw new ImageDecodeError(name, e instanceof Error ? e.message : String(e));
  }
}

/** Reads and decodes one image file; any failure is an ImageDecodeError naming the file. */
export async function decodeImageFile(file: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageDecodeError(file, code === 'ENOENT' ? 'file not found' : e instanceof Error ? e.message : String(e));
  }
  return decodeImageBytes(bytes, file);
}
