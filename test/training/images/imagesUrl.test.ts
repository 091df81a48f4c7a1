import { describe, expect, it } from 'vitest';
import { decodeImageBytes } from '../../../src/cli/images/decodeImageFile.ts';
import { defaultClipImageConfig, preprocessClipImage } from '../../../src/training/images/clipImageProcessor.ts';
import { loadPixelsBatch } from '../../../src/training/images/imageProvider.ts';
import { urlImageProvider } from '../../../src/workers/images/urlImageProvider.ts';
import { encodePng } from '../../helpers/pngWriter.ts';

const config = defaultClipImageConfig(8);
const png = encodePng(
  12,
  10,
  'rgb',
  Array.from({ length: 12 * 10 * 3 }, (_, i) => (i * 29) % 256),
);
const decode = async (blob: Blob, url: string) => decodeImageBytes(new Uint8Array(await blob.arrayBuffer()), url);

/** A fake server: path -> response; '/cors' throws like a CORS refusal; '/slow' waits for the signal. */
function fakeFetch(log: { url: string; signal?: AbortSignal | null }[], inFlight = { now: 0, peak: 0 }) {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    log.push({ url, signal: init?.signal });
    inFlight.now++;
    inFlight.peak = Math.max(inFlight.peak, inFlight.now);
    try {
      await new Promise((r) => setTimeout(r, 3));
      const path = new URL(url).pathname;
      if (path === '/cors') throw new TypeError('Failed to fetch');
      if (path === '/slow') {
        await new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
      }
      if (path === '/missing.png') return new Response('nope', { status: 404 });
      if (path === '/error.png') return new Response('', { status: 503, statusText: 'Service Unavailable' });
      if (path === '/html.png') return new Response('<html></html>', { status: 200, headers: { 'content-type': 'text/html' } });
      return new Response(new Uint8Array(png), { status: 200, headers: { 'content-type': 'image/png' } });
    } finally {
      inFlight.now--;
    }
  }) as typeof fetch;
}

describe('urlImageProvider', () => {
  it('loads good URLs, and counts and lists 404s, CORS refusals, HTTP errors and undecodable bodies', async () => {
    const log: { url: string }[] = [];
    const inFlight = { now: 0, peak: 0 };
    const urls = new Map([
      ['a', 'https://img.example/a.png'],
      ['b', 'https://img.example/missing.png'],
      ['c', 'https://other.example/cors'],
      ['d', 'https://img.example/error.png'],
      ['e', 'https://img.example/html.png'],
      ['f', 'https://img.example/f.png'],
      ['g', 'https://img.example/g.png'],
      ['h', 'https://img.example/h.png'],
    ]);
    const p = urlImageProvider(urls, config, { fetch: fakeFetch(log, inFlight), decode, concurrency: 3 });
    const out = await loadPixelsBatch(p, [...urls.keys()], { concurrency: 8 });
    const expected = preprocessClipImage(await decodeImageBytes(png, 'png'), config);
    expect(out.pixels.map((px) => (px ? Array.from(px).join() === Array.from(expected).join() : null))).toEqual([
      true,
      null,
      null,
      null,
      null,
      true,
      true,
      true,
    ]);
    expect(inFlight.peak).toBe(3);
    expect(p.failureCounts()).toEqual({ notFound: 1, blocked: 1, http: 1, decode: 1 });
    const reasons = Object.fromEntries(p.failures().map((f) => [f.key, f.reason]));
    expect(reasons.b).toBe('https://img.example/missing.png: not found (HTTP 404)');
    expect(reasons.c).toMatch(/^https:\/\/other\.example\/cors: request failed \(Failed to fetch\): .*CORS/);
    expect(reasons.d).toBe('https://img.example/error.png: HTTP 503 Service Unavailable');
    expect(reasons.e).toMatch(/^https:\/\/img\.example\/html\.png: /);
    // failures are remembered: asking again neither refetches nor recounts
    await loadPixelsBatch(p, ['b', 'c']);
    expect(log).toHaveLength(8);
    expect(p.failureCounts().notFound).toBe(1);
  });

  it('cancels the fetch when the batch is aborted and does not count it as a failure', async () => {
    const log: { url: string; signal?: AbortSignal | null }[] = [];
    const p = urlImageProvider(
      new Map([
        ['s', 'https://img.example/slow'],
        ['q', 'https://img.example/q.png'],
      ]),
      config,
      { fetch: fakeFetch(log), decode, concurrency: 1 },
    );
    const ctrl = new AbortController();
    const batch = loadPixelsBatch(p, ['s', 'q'], { signal: ctrl.signal, concurrency: 2 });
    await new Promise((r) => setTimeout(r, 20));
    expect(log.map((l) => l.url)).toEqual(['https://img.example/slow']); // q waits for the single slot
    ctrl.abort();
    await expect(batch).rejects.toMatchObject({ name: 'AbortError' });
    expect(log[0]!.signal!.aborted).toBe(true);
    expect(p.failures()).toEqual([]);
    expect(Object.values(p.failureCounts())).toEqual([0, 0, 0, 0]);
    // the slot was released: a later request goes through
    expect((await p.pixels('q')).length).toBe(3 * 8 * 8);
  });
});
