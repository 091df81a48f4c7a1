import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBytes } from '../../src/cli/images/decodeImageFile.ts';
import { defaultClipImageConfig, preprocessClipImage } from '../../src/training/images/clipImageProcessor.ts';
import type { RgbImage } from '../../src/training/images/rgbImage.ts';
import type { Decoded } from './imageDecode.ts';
import { withBrowserPage } from '../helpers/browser.ts';
import { encodePalettePng, encodePng } from '../helpers/pngWriter.ts';

/**
 * The browser decoder (createImageBitmap + canvas / WebGL2 readback, EXIF orientation undone) and the URL
 * provider in headless Chromium, against the Node decoder (sharp) on the same bytes.
 */

// 16x8 with four 8x8 blocks of distinct colours: any rotation or flip changes it, and JPEG keeps flat
// 8x8 blocks within a few levels, so different decoders (Chromium's libjpeg-turbo, sharp's mozjpeg) agree.
const quad = Buffer.alloc(16 * 8 * 3);
for (let y = 0; y < 8; y++)
  for (let x = 0; x < 16; x++) quad.set(x < 8 ? (y < 4 ? [200, 60, 20] : [20, 200, 60]) : y < 4 ? [20, 60, 200] : [230, 230, 40], (y * 16 + x) * 3);
const quadPng = encodePng(16, 8, 'rgb', quad);

const pngs: Record<string, Buffer> = {
  rgbaTransparentWhite: encodePng(3, 1, 'rgba', [255, 255, 255, 0, 10, 20, 30, 128, 1, 2, 3, 255]),
  grey: encodePng(3, 1, 'grey', [0, 99, 255]),
  greyAlpha: encodePng(2, 1, 'greyAlpha', [250, 0, 7, 200]),
  rgb16: encodePng(2, 1, 'rgb', [0x12ff, 0x3480, 0xffff, 0x0001, 0x00ff, 0x8000], 16),
  palette: encodePalettePng(
    2,
    1,
    [
      [5, 6, 7],
      [250, 240, 230],
    ],
    [1, 0],
  ),
  quad: quadPng,
};

type Result = Decoded | { error: string };
const asImage = (r: Result): RgbImage => {
  if ('error' in r) throw new Error(r.error);
  return { width: r.width, height: r.height, data: Uint8Array.from(r.data) };
};
const maxDiff = (a: RgbImage, b: RgbImage) => Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b.data[i]!)));

const page: Record<string, Result> = {};
const worker: Record<string, Result> = {};
const jpegs: Record<number, Result> = {};
const rotated: Record<string, Result> = {};
let corrupt: Result;
let probes: Record<string, boolean>;
let server: Server | undefined;
afterAll(() => server?.close());
let batch: { pixels: (number[] | null)[]; failures: { key: string; reason: string }[]; counts: Record<string, number> };
const jpegBytes: Record<number, Buffer> = {};
const rotatedBytes: Record<string, Buffer> = {};

beforeAll(async () => {
  for (let o = 1; o <= 8; o++) {
    jpegBytes[o] = await sharp(quad, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: o })
      .toBuffer();
  }
  rotatedBytes.webp = await sharp(quadPng).webp({ lossless: true }).withMetadata({ orientation: 6 }).toBuffer();
  rotatedBytes.png = await sharp(quadPng).png().withMetadata({ orientation: 6 }).toBuffer();
  await withBrowserPage(
    'test/browser/imageDecode.ts',
    async (_p, ctx) => {
      for (const [name, bytes] of Object.entries(pngs)) {
        page[name] = await ctx.call<Result>('decode', bytes.toString('base64'), 'image/png');
        worker[name] = await ctx.call<Result>('decodeInWorker', bytes.toString('base64'), 'image/png');
      }
      for (let o = 1; o <= 8; o++) jpegs[o] = await ctx.call<Result>('decode', jpegBytes[o]!.toString('base64'), 'image/jpeg');
      for (const [fmt, bytes] of Object.entries(rotatedBytes))
        rotated[fmt] = await ctx.call<Result>('decode', bytes.toString('base64'), `image/${fmt}`);
      corrupt = await ctx.call<Result>('decode', Buffer.from('not an image').toString('base64'), 'image/png');
      probes = await ctx.call('probeOrientation');
      // An image host on another origin (127.0.0.1 vs the page's localhost): CORS-enabled images, a 404, a
      // non-image body, and one image served without Access-Control-Allow-Origin, which the browser must refuse.
      server = createServer((req, res) => {
        const cors = { 'access-control-allow-origin': '*' };
        if (req.url === '/missing.png') res.writeHead(404, cors).end('no');
        else if (req.url === '/text.png') res.writeHead(200, { ...cors, 'content-type': 'text/plain' }).end('hello');
        else if (req.url === '/nocors.png') res.writeHead(200, { 'content-type': 'image/png' }).end(quadPng);
        else res.writeHead(200, { ...cors, 'content-type': 'image/png' }).end(quadPng);
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      batch = await ctx.call(
        'urlBatch',
        [
          ['a', `${host}/a.png`],
          ['b', `${host}/missing.png`],
          ['c', `${host}/nocors.png`],
          ['d', `${host}/text.png`],
          ['e', `${host}/e.png`],
        ],
        8,
      );
    },
    { ignoreErrors: [/CORS|Failed to load resource|Access-Control-Allow-Origin/i] },
  );
}, 180_000);

describe('decodeImageBlob in Chromium', () => {
  it('gives exactly the bytes the Node decoder gives for PNGs, transparent pixels included, in a page and a worker', async () => {
    for (const [name, bytes] of Object.entries(pngs)) {
      const node = await decodeImageBytes(bytes, name);
      expect({ name, ...asImage(page[name]!) }).toEqual({ name, ...node });
      expect({ name, ...asImage(worker[name]!) }).toEqual({ name, ...node });
    }
    // the colour behind alpha 0 survives (a 2D canvas alone would return black)
    expect(Array.from(asImage(page.rgbaTransparentWhite!).data.subarray(0, 3))).toEqual([255, 255, 255]);
  });

  it('undoes EXIF orientation 1-8 on JPEG, matching the unrotated Node decode within JPEG decoder differences', async () => {
    let worst = 0;
    for (let o = 1; o <= 8; o++) {
      const node = await decodeImageBytes(jpegBytes[o]!, `o${o}`);
      const img = asImage(jpegs[o]!);
      expect([o, img.width, img.height]).toEqual([o, 16, 8]);
      worst = Math.max(worst, maxDiff(img, node));
    }
    console.info(`JPEG: Chromium vs sharp decode, max abs difference ${worst} (of 255)`);
    // a rotation or flip left in place would put another block's colour here: differences of 140+
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('undoes EXIF orientation in PNG and WebP as well', async () => {
    for (const fmt of ['png', 'webp']) {
      const node = await decodeImageBytes(rotatedBytes[fmt]!, fmt);
      expect([fmt, (await sharp(rotatedBytes[fmt]!).metadata()).orientation]).toEqual([fmt, 6]);
      expect({ fmt, ...asImage(rotated[fmt]!) }).toEqual({ fmt, ...node });
    }
  });

  it('probes which formats this browser rotates by EXIF (Chromium: JPEG and PNG, not WebP)', () => {
    expect(probes).toEqual({ jpeg: true, png: true, webp: false });
  });

  it('reports an undecodable blob by name', () => {
    expect(corrupt).toEqual({ error: expect.stringMatching(/^ImageDecodeError: fixture\.png: not a decodable image \(image\/png, 12 bytes\)/) });
  });
});

describe('urlImageProvider in Chromium', () => {
  it('loads CORS-enabled images and counts a 404, a CORS refusal and a non-image without failing the batch', async () => {
    const expected = Array.from(preprocessClipImage(await decodeImageBytes(quadPng, 'quad'), defaultClipImageConfig(8)));
    expect(batch.pixels.map((p) => (p === null ? null : p.length))).toEqual([192, null, null, null, 192]);
    expect(batch.pixels[0]).toEqual(expected);
    expect(batch.counts).toEqual({ notFound: 1, blocked: 1, http: 0, decode: 1 });
    expect(batch.failures.map((f) => f.key)).toEqual(['b', 'c', 'd']);
    expect(batch.failures[0]!.reason).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/missing\.png: not found \(HTTP 404\)$/);
    expect(batch.failures[1]!.reason).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/nocors\.png: request failed .*CORS/);
    expect(batch.failures[2]!.reason).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/text\.png: not a decodable image/);
  });
});
