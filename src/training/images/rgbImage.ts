/**
 * 8-bit RGB images, the one pixel format the CLIP pipeline works in. Every decoder (sharp in Node,
 * createImageBitmap in the browser) converts to this before preprocessing, so resize and normalize have a
 * single, exactly testable code path.
 */
export interface RgbImage {
  width: number;
  height: number;
  /** RGB interleaved, row-major, width * height * 3 bytes */
  data: Uint8Array;
}

/** Throws when the buffer length does not match width * height * 3 (a wrong stride would silently skew the image). */
export function checkRgbImage(img: RgbImage, where: string): RgbImage {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new Error(`${where}: image size ${img.width}x${img.height} is not a positive integer size`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`${where}: ${img.data.length} bytes for a ${img.width}x${img.height} RGB image (expected ${img.width * img.height * 3})`);
  }
  return img;
}

/**
 * Drops the alpha channel without compositing onto a background: PIL's convert('RGB') on an RGBA image
 * does exactly this, so transparent pixels keep whatever colour they store (often black).
 */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`rgbaToRgb: ${rgba.length} bytes for a ${width}x${height} RGBA image (expected ${n * 4})`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = rgba[i * 4]!;
    data[i * 3 + 1] = rgba[i * 4 + 1]!;
    data[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return { width, height, data };
}

/** Replicates the grey level into R, G and B, as PIL's convert('RGB') does for mode "L". */
export function grayToRgb(gray: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (gray.length !== n) throw new Error(`grayToRgb: ${gray.length} bytes for a ${width}x${height} grey image (expected ${n})`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = gray[i]!;
  return { width, height, data };
}

/** Converts interleaved 1-4 channel bytes (grey, grey+alpha, RGB, RGBA) to RGB with the PIL rules above. */
export function toRgb(pixels: Uint8Array, width: number, height: number, channels: number): RgbImage {
  switch (channels) {
    case 1:
      return grayToRgb(pixels, width, height);
    case 2: {
      const grey = new Uint8Array(width * height);
      for (let i = 0; i < grey.length; i++) grey[i] = pixels[i * 2]!;
      return grayToRgb(grey, width, height);
    }
    case 3:
      return checkRgbImage({ width, height, data: pixels }, 'toRgb');
    case 4:
      return rgbaToRgb(pixels, width, height);
    default:
      throw new Error(`toRgb: ${channels} channels are not supported (expected 1 to 4)`);
  }
}

/** An image that could not be read or decoded; the message names the file or URL and the decoder's reason. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`${source}: ${reason}`);
  }
}
