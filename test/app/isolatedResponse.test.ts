import { describe, expect, it } from 'vitest';
import { isolationHeaders, requestKind, runtimeCachedPattern, withIsolation } from '../../src/serviceWorker/isolatedResponse.ts';

/** The service worker's response rewriting, run in Node on real Response objects. */
describe('the service worker re-serves the app with isolation headers', () => {
  const base = 'https://user.github.io/ftlab/';

  it('adds COOP/COEP and keeps status, body and the other headers', async () => {
    const out = withIsolation(
      new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html', ETag: '"1"' } }),
      `${base}index.html`,
    );
    for (const [k, v] of Object.entries(isolationHeaders)) expect(out.headers.get(k)).toBe(v);
    expect(out.headers.get('Cross-Origin-Embedder-Policy')).toBe('credentialless');
    expect(out.headers.get('ETag')).toBe('"1"');
    expect(out.headers.get('Content-Type')).toBe('text/html');
    expect(await out.text()).toBe('<!doctype html>');
  });

  it('fixes the MIME type of .wasm and .mjs served as octet-stream', () => {
    const wasm = withIsolation(
      new Response(new Uint8Array([0, 97, 115, 109]), { headers: { 'Content-Type': 'application/octet-stream' } }),
      `${base}assets/x.wasm`,
    );
    expect(wasm.headers.get('Content-Type')).toBe('application/wasm');
    const mjs = withIsolation(new Response('export {}', { headers: { 'Content-Type': 'application/octet-stream' } }), `${base}assets/ort.mjs?v=1`);
    expect(mjs.headers.get('Content-Type')).toBe('text/javascript');
  });

  it('returns a response that is already right, an opaque one, and a bodiless 304 as they are or without a body', () => {
    const right = new Response('x', { headers: { ...isolationHeaders, 'Content-Type': 'text/javascript' } });
    expect(withIsolation(right, `${base}assets/a.js`)).toBe(right);
    const notModified = withIsolation(new Response(null, { status: 304 }), `${base}assets/a.css`);
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin');
    const opaque = Response.error();
    expect(withIsolation(opaque, `${base}x`)).toBe(opaque);
  });

  it('serves the page (any query or fragment) and its own files, and leaves other origins and POSTs alone', () => {
    const kind = (url: string, mode = 'navigate', method = 'GET') => requestKind({ url, mode, method }, base);
    expect(kind(`${base}?preset=kata-genq-quick`)).toBe('shell');
    expect(kind(`${base}index.html#config=e30`)).toBe('shell');
    expect(kind(`${base}assets/index-abc.js`, 'cors')).toBe('asset');
    expect(kind(`${base}data/chorus.zip`, 'no-cors')).toBe('asset');
    expect(kind('https://huggingface.co/x/resolve/main/model.onnx', 'cors')).toBe('pass');
    expect(kind('https://user.github.io/other/', 'navigate')).toBe('pass');
    expect(kind(`${base}api`, 'cors', 'POST')).toBe('pass');
    expect(runtimeCachedPattern.test('assets/ort-wasm-simd-threaded.asyncify-x.wasm')).toBe(true);
    expect(runtimeCachedPattern.test('assets/ort-wasm-simd-threaded-x.wasm')).toBe(false);
  });
});
