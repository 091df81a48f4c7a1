import { describe, expect, it } from 'vitest';
import { cachingImageProvider } from '../../../src/training/images/cachingImageProvider.ts';
import { ImageUnavailableError, loadPixelsBatch, LruCache } from '../../../src/training/images/imageProvider.ts';
import { IMAGE_EXTENSIONS, indexImageFiles, indexImageUrls } from '../../../src/training/images/imageIndex.ts';

/** A loader whose loads the test resolves by hand, recording each call and the signal it got. */
function manualLoader() {
  const calls: { key: string; signal?: AbortSignal; resolve: (p: Float32Array) => void; reject: (e: Error) => void }[] = [];
  const load = (key: string, signal?: AbortSignal) =>
    new Promise<Float32Array>((resolve, reject) => {
      calls.push({ key, signal, resolve, reject });
      signal?.addEventListener('abort', () => {
        const e = new Error('aborted');
        e.name = 'AbortError';
        reject(e);
      });
    });
  return { calls, load };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LruCache', () => {
  it('evicts the least recently used entries beyond the size budget', () => {
    const c = new LruCache<Float32Array>(40, (v) => v.byteLength);
    c.set('a', new Float32Array(4));
    c.set('b', new Float32Array(4)); // 32 bytes
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    c.set('c', new Float32Array(2)); // 40 bytes: fits exactly
    expect([c.has('a'), c.has('b'), c.has('c'), c.totalSize]).toEqual([true, true, true, 40]);
    c.set('d', new Float32Array(1)); // 44 > 40: b (least recent) goes
    expect([c.has('a'), c.has('b'), c.has('c'), c.has('d'), c.totalSize]).toEqual([true, false, true, true, 28]);
    c.set('huge', new Float32Array(11)); // larger than the whole budget: not cached, nothing evicted
    expect([c.has('huge'), c.size, c.totalSize]).toEqual([false, 3, 28]);
    c.set('a', new Float32Array(1)); // replacing an entry updates the total
    expect(c.totalSize).toBe(16);
  });
});

describe('cachingImageProvider', () => {
  it('decodes a key once for concurrent callers and serves repeats from the cache', async () => {
    const { calls, load } = manualLoader();
    const p = cachingImageProvider(['a', 'b'], load);
    const r1 = p.pixels('a'),
      r2 = p.pixels('a');
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a']);
    calls[0]!.resolve(Float32Array.of(1, 2));
    expect(Array.from(await r1)).toEqual([1, 2]);
    expect(await r2).toBe(await r1);
    expect(await p.pixels('a')).toBe(await r1);
    expect(calls).toHaveLength(1);
  });

  it('records a failure once, never retries it, and rejects unknown keys', async () => {
    let n = 0;
    const p = cachingImageProvider(['bad', 'good'], async (key) => {
      n++;
      if (key === 'bad') throw new Error('/imgs/bad.png: unsupported image format');
      return Float32Array.of(3);
    });
    await expect(p.pixels('bad')).rejects.toThrow(ImageUnavailableError);
    await expect(p.pixels('bad')).rejects.toThrow('image "bad": /imgs/bad.png: unsupported image format');
    await expect(p.pixels('nope')).rejects.toThrow('image "nope": no image for this key');
    expect(n).toBe(1);
    expect(p.failures()).toEqual([{ key: 'bad', reason: '/imgs/bad.png: unsupported image format' }]);
    expect([p.has('bad'), p.has('good'), p.has('nope')]).toEqual([false, true, false]);
    expect(p.keys()).toEqual(['bad', 'good']);
  });

  it('keeps a shared load alive when one caller aborts and cancels it when the last one does', async () => {
    const { calls, load } = manualLoader();
    const p = cachingImageProvider(['a', 'b'], load);
    const ca = new AbortController();
    const shared1 = p.pixels('a', ca.signal);
    const shared2 = p.pixels('a', new AbortController().signal);
    await tick();
    ca.abort();
    await expect(shared1).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls[0]!.signal!.aborted).toBe(false);
    calls[0]!.resolve(Float32Array.of(7));
    expect(Array.from(await shared2)).toEqual([7]);

    const cb = new AbortController();
    const lone = p.pixels('b', cb.signal);
    await tick();
    cb.abort();
    await expect(lone).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls[1]!.signal!.aborted).toBe(true);
    expect(p.failures()).toEqual([]); // an abort is not a broken image
    const again = p.pixels('b'); // a later request starts a fresh load
    await tick();
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(Float32Array.of(9));
    expect(Array.from(await again)).toEqual([9]);
    await expect(p.pixels('a', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('loadPixelsBatch', () => {
  it('returns null plus a failure for each unavailable image, with bounded concurrency', async () => {
    let active = 0,
      peak = 0;
    const p = cachingImageProvider(['a', 'b', 'c', 'd', 'e'], async (key) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (key === 'c') throw new Error('c.jpg: truncated');
      return Float32Array.of(key.charCodeAt(0));
    });
    const out = await loadPixelsBatch(p, ['a', 'c', 'x', 'b', 'd', 'e'], { concurrency: 2 });
    expect(out.pixels.map((px) => (px ? px[0] : null))).toEqual([97, null, null, 98, 100, 101]);
    expect(out.failures).toEqual([
      { key: 'c', reason: 'c.jpg: truncated' },
      { key: 'x', reason: 'no image for this key' },
    ]);
    expect(peak).toBe(2);
    await expect(loadPixelsBatch(p, ['a'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('indexImageFiles / indexImageUrls', () => {
  it('matches ids case-sensitively, extensions case-insensitively, and reports every mismatch', () => {
    const ix = indexImageFiles(
      ['A1.JPG', 'a1.png', 'p2.png', 'p2.jpeg', 'stray.webp', 'notes.txt', '.DS_Store', 'p3.gif', 'p4.tiff'],
      ['A1', 'p2', 'p3', 'p9'],
    );
    expect([...ix.files]).toEqual([
      ['A1', 'A1.JPG'],
      ['p2', 'p2.jpeg'],
      ['p3', 'p3.gif'],
    ]);
    expect(ix.missing).toEqual(['p9']);
    expect(ix.unmatched).toEqual(['a1.png', 'stray.webp']);
    expect(ix.duplicates).toEqual([{ id: 'p2', files: ['p2.jpeg', 'p2.png'] }]);
    expect(ix.ignored).toEqual(['notes.txt', '.DS_Store', 'p4.tiff']);
    expect(IMAGE_EXTENSIONS).toContain('webp');
    const all = indexImageFiles(['x.v2.png', 'y.gif']);
    expect([...all.files.keys()]).toEqual(['x.v2', 'y']);
    expect(all.missing).toEqual([]);
  });

  it('reads image URLs from a product field, resolving relative ones and rejecting unusable ones', () => {
    const products = [
      { id: '1', fields: { img_500x500: 'https://images.icecat.biz/a.jpg' } },
      { id: '2', fields: { img_500x500: '/img/b.png' } },
      { id: '3', fields: { img_500x500: '' } },
      { id: '4', fields: {} },
      { id: '5', fields: { img_500x500: 'ftp://x/y.jpg' } },
      { id: '6', fields: { img_500x500: 42 } },
    ];
    const ix = indexImageUrls(products, 'img_500x500', 'http://localhost:5173/lab/');
    expect([...ix.urls]).toEqual([
      ['1', 'https://images.icecat.biz/a.jpg'],
      ['2', 'http://localhost:5173/img/b.png'],
    ]);
    expect(ix.missing).toEqual(['3', '4', '5', '6']);
  });
});
