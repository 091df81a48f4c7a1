import { deflateSync } from 'node:zlib';

/**
 * A minimal PNG encoder for tests: it writes exactly the colour type and bit depth asked for (8- or 16-bit
 * grey, grey+alpha, RGB, RGBA, or a palette), which sharp's encoder does not let a test pin down.
 */
export type PngColor = 'grey' | 'greyAlpha' | 'rgb' | 'rgba';

const COLOR_TYPE: Record<PngColor, number> = { grey: 0, rgb: 2, greyAlpha: 4, rgba: 6 };
const CHANNELS: Record<PngColor, number> = { grey: 1, rgb: 3, greyAlpha: 2, rgba: 4 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'ascii');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function png(width: number, height: number, colorType: number, depth: number, rows: Buffer[], extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  // filter type 0 (None) on every row keeps the encoder trivial
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * samples: width * height * channels values, 0-255 (depth 8) or 0-65535 (depth 16), row-major interleaved.
 * `chunks` (e.g. an iCCP profile) go between IHDR and IDAT.
 */
export function encodePng(
  width: number,
  height: number,
  color: PngColor,
  samples: ArrayLike<number>,
  depth: 8 | 16 = 8,
  chunks: { type: string; body: Uint8Array }[] = [],
): Buffer {
  const ch = CHANNELS[color];
  if (samples.length !== width * height * ch) throw new Error(`encodePng: ${samples.length} samples for ${width}x${height}x${ch}`);
  const bps = depth / 8;
  const rows = Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(width * ch * bps);
    for (let i = 0; i < width * ch; i++) {
      const v = samples[y * width * ch + i]!;
      if (depth === 16) row.writeUInt16BE(v, i * 2);
      else row[i] = v;
    }
    return row;
  });
  return png(
    width,
    height,
    COLOR_TYPE[color],
    depth,
    rows,
    chunks.map((c) => chunk(c.type, c.body)),
  );
}

/** An 8-bit palette PNG: indices into `palette` (RGB triples). */
export function encodePalettePng(width: number, height: number, palette: [number, number, number][], indices: ArrayLike<number>): Buffer {
  const rows = Array.from({ length: height }, (_, y) => Buffer.from(Array.from({ length: width }, (_, x) => indices[y * width + x]!)));
  return png(width, height, 3, 8, rows, [chunk('PLTE', Uint8Array.from(palette.flat()))]);
}

/** The body of the first chunk of `type` in a PNG file (e.g. a sharp-written iCCP), or null. */
export function findPngChunk(png: Uint8Array, type: string): Uint8Array | null {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= b.length;) {
    const len = b.readUInt32BE(at);
    if (b.toString('ascii', at + 4, at + 8) === type) return b.subarray(at + 8, at + 8 + len);
    at += 12 + len;
  }
  return null;
}
