import type { RgbImage } from './rgbImage.ts';

/**
 * EXIF orientation (tag 0x0112) from JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk) bytes, 1 when absent.
 * Browsers rotate images by it on decode and offer no way to opt out; PIL and our sharp decoder do not
 * rotate, so the browser decoder reads the tag and undoes the rotation to see the same pixels.
 */
export function exifOrientation(bytes: Uint8Array): number {
  try {
    const tiff = exifBlock(bytes);
    return tiff ? tiffOrientation(tiff) : 1;
  } catch {
    return 1; // a malformed EXIF block is not worth failing the image for; browsers ignore it too
  }
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

function exifBlock(b: Uint8Array): Uint8Array | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let at = 2; at + 4 <= b.length;) {
      if (b[at] !== 0xff) return null;
      const marker = b[at + 1]!;
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        at += 2;
        continue;
      }
      if (marker === 0xda || marker === 0xd9) return null; // image data starts: no EXIF before it
      const len = dv.getUint16(at + 2);
      if (marker === 0xe1 && ascii(b, at + 4, 6) === 'Exif\0\0') return b.subarray(at + 10, at + 2 + len);
      at += 2 + len;
    }
    return null;
  }
  if (ascii(b, 1, 3) === 'PNG') {
    for (let at = 8; at + 8 <= b.length;) {
      const len = dv.getUint32(at);
      const type = ascii(b, at + 4, 4);
      if (type === 'eXIf') return b.subarray(at + 8, at + 8 + len);
      if (type === 'IDAT' || type === 'IEND') return null;
      at += 12 + len;
    }
    return null;
  }
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    for (let at = 12; at + 8 <= b.length;) {
      const len = dv.getUint32(at + 4, true);
      if (ascii(b, at, 4) === 'EXIF') {
        const body = b.subarray(at + 8, at + 8 + len);
        // some writers keep the JPEG-style "Exif\0\0" prefix inside the chunk
        return ascii(body, 0, 6) === 'Exif\0\0' ? body.subarray(6) : body;
      }
      at += 8 + len + (len & 1);
    }
  }
  return null;
}

function tiffOrientation(t: Uint8Array): number {
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const little = ascii(t, 0, 2) === 'II';
  if (!little && ascii(t, 0, 2) !== 'MM') return 1;
  const ifd = dv.getUint32(4, little);
  const n = dv.getUint16(ifd, little);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (dv.getUint16(e, little) === 0x0112) {
      const v = dv.getUint16(e + 8, little);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/**
 * The stored image back from its displayed form: `shown` is what a browser decoded (already rotated by
 * `orientation`). 2, 3, 4, 5 and 7 are their own inverses; 6 (shown rotated clockwise) and 8 (counter-
 * clockwise) undo each other.
 */
export function undoOrientation(shown: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return shown;
  const { width: W, height: H } = shown;
  const swap = orientation >= 5;
  const width = swap ? H : W,
    height = swap ? W : H;
  const data = new Uint8Array(shown.data.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      // (row, col) in `shown` of stored pixel (r, c)
      let sr: number, sc: number;
      switch (orientation) {
        case 2:
          sr = r;
          sc = W - 1 - c;
          break;
        case 3:
          sr = H - 1 - r;
          sc = W - 1 - c;
          break;
        case 4:
          sr = H - 1 - r;
          sc = c;
          break;
        case 5:
          sr = c;
          sc = r;
          break;
        case 6:
          sr = c;
          sc = W - 1 - r;
          break;
        case 7:
          sr = H - 1 - c;
          sc = W - 1 - r;
          break;
        default:
          sr = H - 1 - c;
          sc = r;
          break; // 8
      }
      data.set(shown.data.subarray((sr * W + sc) * 3, (sr * W + sc) * 3 + 3), (r * width + c) * 3);
    }
  }
  return { width, height, data };
}
