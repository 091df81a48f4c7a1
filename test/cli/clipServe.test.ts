import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderSource } from '../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../src/cli/writeModelFiles.ts';
import { defaultServeRoute, loadServedEmbedder, pairModelsAndRoutes } from '../../src/cli/commands/serve.ts';
import type { EmbeddingServer } from '../../src/cli/serve/embeddingServer.ts';
import { loadOnnxClipTextEmbedder } from '../../src/cli/serve/onnxClipTextEmbedder.ts';
import { exportClipModel } from '../../src/training/export/exportClipModel.ts';
import type { ClipEncoder } from '../../src/training/models/clip/clipEncoder.ts';
import { loadClipEncoder } from '../../src/training/models/clip/loadClip.ts';
import { makeTinyClip } from '../helpers/clipFixture.ts';
import { makeTinyModel } from '../helpers/fixtures.ts';
import { maxAbsDiff } from '../helpers/onnx.ts';
import { startServeCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/testServer.ts';

let root: string;
let exported: string;
let tiny: string;
let encoder: ClipEncoder;
let server: EmbeddingServer;
let post: TestServer['post'];

/** What ftlab's tfjs CLIP says for one text: text_embeds, unnormalized. */
const tfjsText = (t: string) => tf.tidy(() => encoder.embedTexts([t], { training: false }).dataSync() as Float32Array);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ftlab-clip-serve-'));
  tiny = await makeTinyClip();
  encoder = await loadClipEncoder(folderSource(tiny));
  exported = path.join(root, 'export');
  await writeModelFiles(exported, await exportClipModel(encoder, { baseModel: 'tiny' }));
  const embedder = await loadServedEmbedder(folderSource(exported), {});
  ({ server, post } = await startTestServer({ route: 'ftclip', embedder, name: exported }, { maxBatch: 8, maxWaitMs: 5 }));
});

afterAll(async () => {
  await server?.close();
  encoder?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('ftlab serve: /ftclip/text/ on a CLIP export', () => {
  it("answers Chorus' request shapes with the text tower's vectors, normalized per request", async () => {
    const r = await post('/ftclip/text/', { text: 'red running shoes', output_format: 'float_list', separator: ',', normalize: false });
    expect([r.status, r.headers.get('content-type')]).toEqual([200, 'application/json']);
    const raw = ((await r.json()) as { embedding: number[] }).embedding;
    expect(raw).toHaveLength(16);
    const want = tfjsText('red running shoes');
    expect(maxAbsDiff(raw, want)).toBeLessThan(1e-5);
    expect(Math.abs(Math.hypot(...raw) - 1)).toBeGreaterThan(1e-2); // CLIP's text_embeds are not unit length

    // defaults: float_list, normalize true
    const unit = ((await (await post('/ftclip/text', { text: 'red running shoes' })).json()) as { embedding: number[] }).embedding;
    const norm = Math.hypot(...want);
    expect(
      maxAbsDiff(
        unit,
        Array.from(want, (x) => x / norm),
      ),
    ).toBeLessThan(1e-5);
    const s = (await (
      await post('/ftclip/text/', { text: 'red running shoes', output_format: 'string', separator: ';', normalize: false })
    ).json()) as { embedding: string };
    expect(s.embedding.split(';').map((x) => Math.fround(Number(x)))).toEqual(raw);

    const bad = await post('/ftclip/text/', { output_format: 'string' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { detail: unknown[] }).detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'text'] });
    const info = (await (await fetch(`${server.url}/ftclip/`)).json()) as Record<string, unknown>;
    expect(info).toEqual({ route: '/ftclip/text/', model: exported, dimension: 16, max_seq_length: 24, pooling: 'eos', normalized: false });
  });

  it("answers concurrent requests (micro-batched into padded ONNX runs) with the tfjs model's vectors", async () => {
    const texts = [
      'usb c cable',
      'Café espresso machine with milk frother, stainless steel and more words than fit',
      '',
      'mug',
      'kids rain jacket, yellow',
    ];
    const before = server.stats().ftclip!;
    const got = await Promise.all(
      texts.map(async (text) => ((await (await post('/ftclip/text/', { text, normalize: false })).json()) as { embedding: number[] }).embedding),
    );
    got.forEach((v, i) => expect(maxAbsDiff(v, tfjsText(texts[i]!)), texts[i]).toBeLessThan(1e-5));
    expect(server.stats().ftclip!.requests - before.requests).toBe(texts.length);
    // how requests group depends on timing; one embed() call is the padded batch they would share
    const loaded = await loadOnnxClipTextEmbedder(folderSource(exported));
    try {
      (await loaded.embed(texts)).forEach((v, i) => expect(maxAbsDiff(v, tfjsText(texts[i]!)), texts[i]).toBeLessThan(1e-5));
    } finally {
      await loaded.release();
    }
  });

  it('builds the text graph from model.safetensors when the folder has no onnx/text_model.onnx', async () => {
    const warnings: string[] = [];
    const built = await loadOnnxClipTextEmbedder(folderSource(tiny), { onWarning: (m) => warnings.push(m) });
    try {
      expect(built.onnx).toBe('built');
      expect(warnings.join('\n')).toMatch(/no onnx\/text_model\.onnx; built the CLIP text graph/);
      const [v] = await built.embed(['red running shoes']);
      expect(maxAbsDiff(v!, tfjsText('red running shoes'))).toBeLessThan(1e-5);
    } finally {
      await built.release();
    }
  });

  it('serves a CLIP folder as ftclip and a text model as ftbert when no route is given, from the CLI too', async () => {
    const text = await makeTinyModel();
    expect(await pairModelsAndRoutes([exported], [], defaultServeRoute)).toEqual([{ route: 'ftclip', model: exported }]);
    expect(await pairModelsAndRoutes([text], [], defaultServeRoute)).toEqual([{ route: 'ftbert', model: text }]);
    expect(await pairModelsAndRoutes([exported], ['images'], defaultServeRoute)).toEqual([{ route: 'images', model: exported }]);

    let code: number | null;
    const serve = await startServeCli(['--model', exported, '--port', '0']);
    try {
      expect(serve.routes).toEqual(['/ftclip/text/']);
      const r = await fetch(`${serve.url}/ftclip/text/`, { method: 'POST', body: JSON.stringify({ text: 'red running shoes', normalize: false }) });
      expect(maxAbsDiff(((await r.json()) as { embedding: number[] }).embedding, tfjsText('red running shoes'))).toBeLessThan(1e-5);
    } finally {
      code = await serve.stop();
    }
    expect(code).toBe(0);
    expect(serve.stderr()).toMatch(/serving .* \(16 dimensions\) at http:\/\/127\.0\.0\.1:\d+\/ftclip\/text\//);
  });
});
