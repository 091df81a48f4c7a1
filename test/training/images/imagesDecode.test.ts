import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageBytes, decodeImageFile, ImageDecodeError } from '../../../src/cli/images/decodeImageFile.ts';
import { folderImageProvider } from '../../../src/cli/images/folderImageProvider.ts';
import { defaultClipImageConfig, preprocessClipImage } from '../../../src/training/images/clipImageProcessor.ts';
import { exifOrientation, undoOrientation } from '../../../src/training/images/exifOrientation.ts';
import { ImageUnavailableError, loadPixelsBatch } from '../../../src/training/images/imageProvider.ts';
import { encodePalettePng, encodePng, findPngChunk } from '../../helpers/pngWriter.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ftlab-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, bytes: Uint8Array) => {
  writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};
const bytesOf = async (file: string) => Array.from((await decodeImageFile(file)).data);

describe('decodeImageFile (sharp) gives what PIL convert("RGB") gives', () => {
  it('drops alpha without compositing and replicates grey', async () => {
    const rgba = await decodeImageFile(put('rgba.png', encodePng(2, 1, 'rgba', [10, 20, 30, 0, 40, 50, 60, 255])));
    expect([rgba.width, rgba.height, ...rgba.data]).toEqual([2, 1, 10, 20, 30, 40, 50, 60]);
    expect(await bytesOf(put('grey.png', encodePng(3, 1, 'grey', [0, 7, 255])))).toEqual([0, 0, 0, 7, 7, 7, 255, 255, 255]);
    expect(await bytesOf(put('ga.png', encodePng(2, 1, 'greyAlpha', [9, 0, 200, 128])))).toEqual([9, 9, 9, 200, 200, 200]);
    expect(
      await bytesOf(
        put(
          'pal.png',
          encodePalettePng(
            3,
            1,
            [
              [1, 2, 3],
              [250, 251, 252],
            ],
            [1, 0, 1],
          ),
        ),
      ),
    ).toEqual([250, 251, 252, 1, 2, 3, 250, 251, 252]);
  });

  it('reduces 16-bit samples to their high byte (PIL unpacks RGB;16B the same way)', async () => {
    expect(await bytesOf(put('rgb16.png', encodePng(2, 1, 'rgb', [0x12ff, 0x3480, 0xffff, 0x0001, 0x00ff, 0x8000], 16)))).toEqual([
      0x12, 0x34, 0xff, 0, 0, 0x80,
    ]);
    expect(await bytesOf(put('grey16.png', encodePng(2, 1, 'grey', [0xabcd, 0x0102], 16)))).toEqual([0xab, 0xab, 0xab, 1, 1, 1]);
    expect(await bytesOf(put('rgba16.png', encodePng(1, 1, 'rgba', [0x1000, 0x2000, 0x3000, 0], 16)))).toEqual([0x10, 0x20, 0x30]);
  });

  it('ignores an embedded ICC profile (PIL does not colour-manage)', async () => {
    // Borrow a Display P3 profile from a sharp-written PNG and attach it to known pixels.
    const p3 = await sharp(Buffer.from([200, 30, 40]), { raw: { width: 1, height: 1, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    const iccp = findPngChunk(p3, 'iCCP');
    expect(iccp).not.toBeNull();
    const file = put('p3.png', encodePng(1, 1, 'rgb', [200, 30, 40], 8, [{ type: 'iCCP', body: iccp! }]));
    expect(await bytesOf(file)).toEqual([200, 30, 40]);
    // sharp's default would have converted P3 -> sRGB: the option is what keeps the stored values.
    const managed = await sharp(file).raw().toBuffer();
    expect(Array.from(managed)).not.toEqual([200, 30, 40]);
  });

  it('decodes JPEG without applying EXIF orientation', async () => {
    const raw = Buffer.alloc(16 * 8 * 3);
    for (let i = 0; i < 16 * 8; i++) raw.set(i % 16 < 8 ? [200, 60, 20] : [20, 60, 200], i * 3);
    const jpg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpg).metadata()).orientation).toBe(6);
    const img = await decodeImageFile(put('rot.JPG', jpg));
    expect([img.width, img.height]).toEqual([16, 8]);
    // quality 100, 4:4:4, 8x8 blocks of one colour: each pixel within a few levels of what was encoded
    const worst = Math.max(...Array.from(img.data, (v, i) => Math.abs(v - raw[i]!)));
    expect(worst).toBeLessThanOrEqual(3);
  });

  it('names the file for a corrupt, truncated or missing image', async () => {
    const bad = put('bad.png', Buffer.from('this is not an image'));
    await expect(decodeImageFile(bad)).rejects.toThrow(ImageDecodeError);
    await expect(decodeImageFile(bad)).rejects.toThrow(bad);
    const png = encodePng(
      64,
      64,
      'rgb',
      Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 37) % 256),
    );
    const cut = put('cut.png', png.subarray(0, png.length - 200));
    await expect(decodeImageFile(cut)).rejects.toThrow(cut);
    await expect(decodeImageFile(path.join(dir, 'nope.png'))).rejects.toThrow(`${path.join(dir, 'nope.png')}: file not found`);
    await expect(decodeImageBytes(new Uint8Array(0), 'https://x/y.jpg')).rejects.toThrow(/^https:\/\/x\/y\.jpg: /);
  });
});

describe('folderImageProvider', () => {
  it('serves preprocessed pixels by product id and reports bad files by name without failing the batch', async () => {
    const sub = mkdtempSync(path.join(dir, 'folder-'));
    const good = encodePng(
      40,
      30,
      'rgb',
      Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 13) % 256),
    );
    writeFileSync(path.join(sub, 'p1.png'), good);
    writeFileSync(path.join(sub, 'P2.JPG'), await sharp(good).jpeg().toBuffer());
    writeFileSync(path.join(sub, 'p3.png'), Buffer.from('corrupt'));
    writeFileSync(path.join(sub, 'stray.gif'), await sharp(good).gif().toBuffer());
    writeFileSync(path.join(sub, 'notes.txt'), 'x');
    const config = defaultClipImageConfig(16);
    const provider = await folderImageProvider(sub, config, { ids: ['p1', 'P2', 'p3', 'p4'] });
    expect(provider.keys()).toEqual(['p1', 'P2', 'p3']);
    expect(provider.index.missing).toEqual(['p4']);
    expect(provider.index.unmatched).toEqual(['stray.gif']);

    const expected = preprocessClipImage(await decodeImageFile(path.join(sub, 'p1.png')), config);
    expect(await provider.pixels('p1')).toEqual(expected);
    const batch = await loadPixelsBatch(provider, ['p1', 'p3', 'P2', 'p4']);
    expect(batch.pixels.map((p) => p?.length ?? null)).toEqual([3 * 16 * 16, null, 3 * 16 * 16, null]);
    expect(batch.failures.map((f) => f.key)).toEqual(['p3', 'p4']);
    expect(batch.failures[0]!.reason).toContain(path.join(sub, 'p3.png'));
    await expect(provider.pixels('p3')).rejects.toThrow(ImageUnavailableError);
    expect(provider.failures()).toEqual([{ key: 'p3', reason: batch.failures[0]!.reason }]);
    expect(provider.has('p3')).toBe(false);

    const all = await folderImageProvider(sub, config);
    expect(all.keys()).toEqual(['P2', 'p1', 'p3', 'stray']);
    expect((await all.pixels('stray')).length).toBe(3 * 16 * 16);
  });
});

describe('exifOrientation / undoOrientation', () => {
  it('reads the tag from JPEG, PNG and WebP and undoes each of the 8 orientations exactly', async () => {
    const raw = Buffer.from(Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 17) % 256));
    const base = () => sharp(raw, { raw: { width: 5, height: 3, channels: 3 } });
    for (let o = 1; o <= 8; o++) {
      const png = await base().png().withMetadata({ orientation: o }).toBuffer();
      expect([o, exifOrientation(png)]).toEqual([o, o]);
      expect([o, exifOrientation(await base().jpeg().withMetadata({ orientation: o }).toBuffer())]).toEqual([o, o]);
      expect([o, exifOrientation(await base().webp().withMetadata({ orientation: o }).toBuffer())]).toEqual([o, o]);
      // what a browser shows = sharp's autoOrient; undoing it must give back the stored pixels
      const shown = await sharp(png).autoOrient().raw().toBuffer({ resolveWithObject: true });
      const back = undoOrientation({ width: shown.info.width, height: shown.info.height, data: new Uint8Array(shown.data) }, o);
      expect({ o, ...back }).toEqual({ o, width: 5, height: 3, data: new Uint8Array(raw) });
    }
    expect(exifOrientation(await base().jpeg().toBuffer())).toBe(1);
    expect(exifOrientation(new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0, 8, 0x45, 0x78]))).toBe(1); // truncated EXIF
  });
});
