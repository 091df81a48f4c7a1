/**
 * Whether this browser applies EXIF orientation when decoding a format. Browsers differ by format and
 * version (Chromium 156 rotates JPEG and PNG but not WebP), so instead of a table each format is probed
 * once with a 2x1 image tagged orientation 6 (rotate 90°): a browser that applies it returns 1x2.
 * (Probes: sharp-encoded 2x1 red|blue images plus a 26-byte EXIF block holding only the orientation.)
 */
const PROBES: Record<OrientedFormat, { type: string; base64: string }> = {
  jpeg: {
    type: 'image/jpeg',
    base64:
      '/9j/4QAiRXhpZgAASUkqAAgAAAABABIBAwABAAAABgAAAAAAAAD/2wBDAFA3PEY8MlBGQUZaVVBfeMiCeG5uePWvuZHI////////////////////////////////////////////////////2wBDAVVaWnhpeOuCguv/////////////////////////////////////////////////////////////////////////wAARCAABAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAWEAEBAQAAAAAAAAAAAAAAAAAAATH/xAAVAQEBAAAAAAAAAAAAAAAAAAABBP/EABYRAAMAAAAAAAAAAAAAAAAAAAABMf/aAAwDAQACEQMRAD8Amu0BWoDp/9k=',
  },
  png: {
    type: 'image/png',
    base64:
      'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAGmVYSWZJSSoACAAAAAEAEgEDAAEAAAAGAAAAAAAAALdIESkAAAAPSURBVHicY/jPwMDA8B8ABwAB/34IsdAAAAAASUVORK5CYII=',
  },
  webp: {
    type: 'image/webp',
    base64: 'UklGRlIAAABXRUJQVlA4WAoAAAAIAAAAAQAAAAAAVlA4TBEAAAAvAQAAAA8Q87//8x8OMqL/AQBFWElGGgAAAElJKgAIAAAAAQASAQMAAQAAAAYAAAAAAAAA',
  },
};

export type OrientedFormat = 'jpeg' | 'png' | 'webp';

/** The format of image bytes by their signature, for the formats that can carry EXIF orientation. */
export function orientedFormat(b: Uint8Array): OrientedFormat | null {
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'webp';
  return null;
}

const answers = new Map<OrientedFormat, Promise<boolean>>();

/** Decodes the format's probe once per page or worker with the options decodeImageBlob uses. */
export function browserAppliesOrientation(format: OrientedFormat): Promise<boolean> {
  let answer = answers.get(format);
  if (!answer) {
    const { type, base64 } = PROBES[format];
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    answer = createImageBitmap(new Blob([bytes], { type }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
      .then((bitmap) => {
        const rotated = bitmap.width === 1 && bitmap.height === 2;
        bitmap.close();
        return rotated;
      })
      .catch(() => false); // a browser that cannot decode the probe cannot decode the format's images either
    answers.set(format, answer);
  }
  return answer;
}
