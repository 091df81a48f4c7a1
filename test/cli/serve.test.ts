import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { folderSource } from '../../src/cli/folderSource.ts';
import { loadOnnxTextEmbedder } from '../../src/cli/serve/onnxTextEmbedder.ts';
import type { EmbeddingServer } from '../../src/cli/serve/embeddingServer.ts';
import { loadSentenceEncoder } from '../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../src/training/models/sentenceEncoder.ts';
import { makeTinyModel, tinyCorpus } from '../helpers/fixtures.ts';
import { maxAbsDiff } from '../helpers/onnx.ts';
import { startServeCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/testServer.ts';
import { pairModelsAndRoutes } from '../../src/cli/commands/serve.ts';

let dir: string;
let server: EmbeddingServer;
let post: TestServer['post'];
let encoder: SentenceEncoder;

async function reference(texts: string[]): Promise<Float32Array[]> {
  return encoder.encode(texts);
}

beforeAll(async () => {
  dir = await makeTinyModel();
  encoder = await loadSentenceEncoder(folderSource(dir));
  const embedder = await loadOnnxTextEmbedder(folderSource(dir));
  // a long batching window makes batching observable with a model this fast; a request waits at most 25 ms
  ({ server, post } = await startTestServer({ route: 'ftbert', embedder, name: dir }, { maxBatch: 16, maxWaitMs: 25 }));
});
afterAll(async () => {
  await server?.close();
  encoder?.dispose();
});

describe('ftlab serve: Chorus embeddings API', () => {
  it("answers Chorus' request shapes with the encoder's vectors", async () => {
    // what Querqy's ChorusEmbeddingModel sends
    const r = await post('/ftbert/text/', { text: 'red running shoes', output_format: 'float_list', separator: ',', normalize: false });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = (await r.json()) as { embedding: number[] };
    expect(Object.keys(body)).toEqual(['embedding']);
    const [want] = await reference(['red running shoes']);
    expect(body.embedding.length).toBe(32);
    expect(maxAbsDiff(body.embedding, want!)).toBeLessThan(1e-5);
    // float32 values, printed as doubles like numpy's tolist()
    body.embedding.forEach((v) => expect(Math.fround(v)).toBe(v));

    // output_format "string": the same vector joined with the separator; defaults: float_list, normalize true
    const s = (await (
      await post('/ftbert/text/', { text: 'red running shoes', output_format: 'string', separator: ';', normalize: false })
    ).json()) as { embedding: string };
    const parts = s.embedding.split(';').map(Number);
    expect(parts.map((x) => Math.fround(x))).toEqual(body.embedding);
    const d = (await (await post('/ftbert/text', { text: 'red running shoes' })).json()) as { embedding: number[] };
    expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    expect(maxAbsDiff(d.embedding, body.embedding)).toBeLessThan(1e-5); // this model normalizes already
    const comma = (await (await post('/ftbert/text/', { text: 'x', output_format: 'string', separator: null })).json()) as { embedding: string };
    expect(comma.embedding.split(',').length).toBe(32);
  });

  it('rejects bad requests with FastAPI-style bodies and keeps serving', async () => {
    const cases: [unknown, boolean, number, unknown][] = [
      ['{"text": "a",', true, 400, { type: 'json_invalid', loc: ['body', 13], msg: 'JSON decode error' }],
      [{ output_format: 'string' }, false, 422, { type: 'missing', loc: ['body', 'text'], msg: 'Field required' }],
      [{ text: 42 }, false, 422, { type: 'string_type', loc: ['body', 'text'], msg: 'Input should be a valid string', input: 42 }],
      [
        { text: 'a', output_format: 'csv' },
        false,
        422,
        { type: 'enum', loc: ['body', 'output_format'], msg: "Input should be 'float_list' or 'string'", input: 'csv' },
      ],
      [{ text: 'a', normalize: 'maybe' }, false, 422, { type: 'bool_parsing', loc: ['body', 'normalize'], input: 'maybe' }],
      [{ text: 'a', separator: 5 }, false, 422, { type: 'string_type', loc: ['body', 'separator'] }],
      [['a'], false, 422, { type: 'model_attributes_type', loc: ['body'] }],
    ];
    for (const [body, raw, status, issue] of cases) {
      const r = await post('/ftbert/text/', body, raw);
      expect(r.status, JSON.stringify(body)).toBe(status);
      const json = (await r.json()) as { detail: unknown[] };
      expect(json.detail).toHaveLength(1);
      expect(json.detail[0]).toMatchObject(issue as object);
    }
    const lax = await post('/ftbert/text/', { text: 'a', normalize: 'false' });
    expect(lax.status).toBe(200);

    const nf = await post('/minilm/text/', { text: 'a' });
    expect([nf.status, await nf.json()]).toEqual([404, { detail: 'Not Found' }]);
    const get = await fetch(`${server.url}/ftbert/text/`);
    expect([get.status, get.headers.get('allow'), await get.json()]).toEqual([405, 'POST', { detail: 'Method Not Allowed' }]);
    const info = (await (await fetch(`${server.url}/ftbert/`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ route: '/ftbert/text/', model: dir, dimension: 32, max_seq_length: 128 });
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; models: unknown[] };
    expect(health.status).toBe('ok');
    expect(health.models).toHaveLength(1);

    // oversized: declared by content-length (answered before reading) and streamed chunked (cut off at the limit)
    const big = JSON.stringify({ text: 'x'.repeat(1100 * 1024) });
    const r413 = await post('/ftbert/text/', big, true);
    expect(r413.status).toBe(413);
    expect(((await r413.json()) as { detail: { type: string }[] }).detail[0]!.type).toBe('body_too_large');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/ftbert/text/`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', (e) => reject(e));
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);

    // still healthy
    const ok = await post('/ftbert/text/', { text: 'still here' });
    expect(ok.status).toBe(200);
  });

  it('batches concurrent requests: 64 requests at concurrency 16, all correct, fewer ONNX runs than requests', async () => {
    const before = server.stats().ftbert!;
    const texts = Array.from({ length: 64 }, (_, i) => `${tinyCorpus[i % tinyCorpus.length]} ${i}`);
    const want = await reference(texts);
    const got: number[][] = new Array(64);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < texts.length) {
          const i = next++;
          const r = await post('/ftbert/text/', { text: texts[i], output_format: 'float_list', normalize: false });
          expect(r.status).toBe(200);
          got[i] = ((await r.json()) as { embedding: number[] }).embedding;
        }
      }),
    );
    expect(performance.now() - started).toBeLessThan(20_000);
    got.forEach((v, i) => expect(maxAbsDiff(v, want[i]!)).toBeLessThan(1e-5));
    const after = server.stats().ftbert!;
    expect(after.requests - before.requests).toBe(64);
    const runs = after.batches - before.batches;
    expect(runs).toBeLessThan(64);
    expect(runs).toBeGreaterThanOrEqual(4); // at most 16 per run
    expect(after.largestBatch).toBeGreaterThan(1);
    expect(after.failedBatches).toBe(0);
  });

  it('--dtype runs an 8-bit or fp16 variant: made in memory from a folder without it (with a warning), close to float32', async () => {
    const texts = tinyCorpus.slice(0, 8);
    const ref = await reference(texts);
    for (const dtype of ['q8', 'int8', 'fp16'] as const) {
      const warnings: string[] = [];
      const e = await loadOnnxTextEmbedder(folderSource(dir), { dtype, onWarning: (m) => warnings.push(m) });
      try {
        expect(e.onnx).toBe('built');
        expect(warnings.join(' ')).toMatch(new RegExp(`no onnx/model_${dtype === 'q8' ? 'quantized' : dtype}\\.onnx; made the ${dtype} variant`));
        const got = await e.embed(texts);
        const cos = got.map((v, r) => v.reduce((a, x, i) => a + x * ref[r]![i]!, 0));
        expect(Math.min(...cos), dtype).toBeGreaterThan(0.99);
      } finally {
        await e.release();
      }
    }
  });

  it('pairs --model and --route values (or route=dir) and refuses ambiguous or clashing routes', async () => {
    expect(await pairModelsAndRoutes(['a'], [])).toEqual([{ route: 'ftbert', model: 'a' }]);
    expect(await pairModelsAndRoutes(['a', 'b'], ['x', 'y'])).toEqual([
      { route: 'x', model: 'a' },
      { route: 'y', model: 'b' },
    ]);
    expect(await pairModelsAndRoutes(['minilm=m1', 'b'], ['ft'])).toEqual([
      { route: 'minilm', model: 'm1' },
      { route: 'ft', model: 'b' },
    ]);
    await expect(pairModelsAndRoutes(['a', 'b'], ['x'])).rejects.toThrow(/give each a --route/);
    await expect(pairModelsAndRoutes(['x=a', 'x=b'], [])).rejects.toThrow(/route "x" is given to two models/);
    await expect(pairModelsAndRoutes(['a'], ['x', 'y'])).rejects.toThrow(/2 --route values/);
  });

  it('ftlab serve starts from the CLI, answers, and shuts down cleanly on SIGTERM', async () => {
    let code: number | null;
    const serve = await startServeCli(['--model', `ftbert=${dir}`, '--port', '0']);
    try {
      expect(serve.routes).toEqual(['/ftbert/text/']);
      expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${serve.url}/ftbert/text/`, { method: 'POST', body: JSON.stringify({ text: 'red running shoes', normalize: false }) });
      const [want] = await reference(['red running shoes']);
      expect(maxAbsDiff(((await r.json()) as { embedding: number[] }).embedding, want!)).toBeLessThan(1e-5);
    } finally {
      code = await serve.stop();
    }
    expect(code).toBe(0);
    expect(serve.stderr()).toMatch(/SIGTERM: finishing in-flight requests/);
    expect(serve.stderr()).toMatch(/stopped; served \{"ftbert":\{"requests":1,"batches":1/);
  });
});
