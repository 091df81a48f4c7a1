import { exifOrientation, undoOrientation } from '../../training/images/exifOrientation.ts';
import { ImageDecodeError, rgbaToRgb, type RgbImage } from '../../training/images/rgbImage.ts';
import { browserAppliesOrientation, orientedFormat } from './orientationProbe.ts';

/**
 * Browser (window or worker) image decoding to the same RGB bytes the Node decoder (sharp) and PIL give:
 * createImageBitmap with colour management and alpha premultiplication off, then a readback.
 *
 * The readback is a 2D canvas first. A 2D canvas stores premultiplied alpha, which is exact for opaque
 * pixels but loses the colour of transparent ones (PIL's convert('RGB') keeps the stored colour, often
 * white behind a cut-out product). So when any pixel is not opaque, the bitmap is read again through a
 * WebGL2 texture uploaded without premultiplication, which returns the stored values exactly.
 *
 * Browsers also apply EXIF orientation on decode for some formats (imageOrientation 'none' no longer opts
 * out), so where the browser does (orientationProbe.ts), the rotation is read from the bytes and undone:
 * PIL and sharp (autoOrient off) keep the stored layout.
 */
export async function decodeImageBlob(blob: Blob, name: string): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(name, `not a decodable image (${blob.type || 'unknown type'}, ${blob.size} bytes): ${why}`);
  }
  try {
    const { width, height } = bitmap;
    let rgba: Uint8Array | Uint8ClampedArray = readWith2d(bitmap);
    if (hasTransparency(rgba)) rgba = readWithWebgl(bitmap) ?? rgba;
    const rgb = rgbaToRgb(rgba, width, height);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const format = orientedFormat(bytes);
    const orientation = format ? exifOrientation(bytes) : 1;
    return orientation > 1 && format && (await browserAppliesOrientation(format)) ? undoOrientation(rgb, orientation) : rgb;
  } finally {
    bitmap.close();
  }
}

function hasTransparency(rgba: Uint8ClampedArray | Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

function readWith2d(bitmap: ImageBitmap): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!ctx) throw new Error('decodeImageBlob: no 2D canvas context');
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' }).data;
}

// One WebGL2 context for every decode: browsers cap live contexts (~16) and drop the oldest.
let gl: WebGL2RenderingContext | null | undefined;

function context(): WebGL2RenderingContext | null {
  if (gl === undefined || gl?.isContextLost()) {
    gl = new OffscreenCanvas(1, 1).getContext('webgl2', { premultipliedAlpha: false, antialias: false });
  }
  return gl;
}

/** Exact RGBA of the bitmap via a non-premultiplied texture; null where WebGL2 is unavailable or the image too big. */
function readWithWebgl(bitmap: ImageBitmap): Uint8Array | null {
  const g = context();
  if (!g || bitmap.width > g.getParameter(g.MAX_TEXTURE_SIZE) || bitmap.height > g.getParameter(g.MAX_TEXTURE_SIZE)) return null;
  const tex = g.createTexture();
  const fb = g.createFramebuffer();
  try {
    g.bindTexture(g.TEXTURE_2D, tex);
    g.pixelStorei(g.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    g.pixelStorei(g.UNPACK_COLORSPACE_CONVERSION_WEBGL, g.NONE);
    g.pixelStorei(g.UNPACK_FLIP_Y_WEBGL, false);
    g.texImage2D(g.TEXTURE_2D, 0, g.RGBA8, g.RGBA, g.UNSIGNED_BYTE, bitmap);
    g.bindFramebuffer(g.FRAMEBUFFER, fb);
    g.framebufferTexture2D(g.FRAMEBUFFER, g.COLOR_ATTACHMENT0, g.TEXTURE_2D, tex, 0);
    if (g.checkFramebufferStatus(g.FRAMEBUFFER) !== g.FRAMEBUFFER_COMPLETE) return null;
    const out = new Uint8Array(bitmap.width * bitmap.height * 4);
    // Texture row 0 is the image's first row (no flip on upload), and readPixels starts at row 0.
    g.readPixels(0, 0, bitmap.width, bitmap.height, g.RGBA, g.UNSIGNED_BYTE, out);
    return g.getError() === g.NO_ERROR ? out : null;
  } finally {
    g.bindFramebuffer(g.FRAMEBUFFER, null);
    g.deleteFramebuffer(fb);
    g.deleteTexture(tex);
  }
}
