import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { hubSource, readJson } from '../../../src/training/source/modelSource.ts';
import { serveFolders, type FolderServer } from '../../helpers/fixtures.ts';

describe('hubSource against a local Hub-layout server', () => {
  let dir: string;
  let server: FolderServer;
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-hub-'));
    await writeFile(path.join(dir, 'config.json'), '{"model_type": "bert"}');
    await writeFile(path.join(dir, 'model.safetensors'), big);
    server = await serveFolders({ 'acme/tiny': dir });
  });
  afterAll(() => server.close());

  it('answers exists() with HEAD and reads files with progress', async () => {
    const src = hubSource('acme/tiny', { endpoint: server.endpoint });
    expect(await src.exists('config.json')).toBe(true);
    expect(await src.exists('missing.json')).toBe(false);
    expect(await readJson(src, 'config.json')).toEqual({ model_type: 'bert' });
    const seen: [number, number | undefined][] = [];
    const bytes = await src.readBytes('model.safetensors', (loaded, total) => seen.push([loaded, total]));
    expect(bytes.byteLength).toBe(big.byteLength);
    expect(Buffer.from(bytes).equals(Buffer.from(big))).toBe(true); // toEqual on 300k elements takes seconds
    expect(seen.at(-1)).toEqual([big.length, big.length]);
    expect(seen.every(([l], i) => i === 0 || l > seen[i - 1][0])).toBe(true);
  });

  it('names the missing file and the model in a 404 error', async () => {
    const src = hubSource('acme/tiny', { endpoint: server.endpoint });
    await expect(src.readText('tokenizer.json')).rejects.toThrow(/acme\/tiny: tokenizer\.json not found \(HTTP 404/);
    const other = hubSource('acme/other', { endpoint: server.endpoint });
    await expect(other.exists('config.json')).resolves.toBe(false);
  });

  it('says the endpoint cannot be reached', async () => {
    // a port that was free a moment ago: nothing listens there
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const src = hubSource('acme/tiny', { endpoint: `http://127.0.0.1:${port}` });
    await expect(src.readBytes('config.json')).rejects.toThrow(
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/acme/tiny/resolve/main/config\\.json`),
    );
  });

  it('rejects ids that are not Hub ids', () => {
    expect(() => hubSource('../etc/passwd')).toThrow(/not a Hub model id/);
  });
});

describe('folderSource', () => {
  it('names the missing file with its full path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ftlab-folder-'));
    const src = folderSource(dir);
    expect(await src.exists('config.json')).toBe(false);
    await expect(src.readText('config.json')).rejects.toThrow(`${path.join(dir, 'config.json')}: file not found`);
  });
});
