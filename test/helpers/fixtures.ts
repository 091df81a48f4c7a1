import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { initModel, type InitModelOptions } from '../../src/training/init/initModel.ts';
import { ModelSourceError, type ModelSource } from '../../src/training/source/modelSource.ts';
import { modelFolder } from './modelFolder.ts';

/** A small e-commerce corpus: product titles and queries, with accents, punctuation and digits. */
export const tinyCorpus: string[] = [
  'Red running shoes for men, size 42',
  "Women's trail running shoe - waterproof",
  'Stainless steel water bottle 750ml',
  'Insulated water bottle, keeps drinks cold 24h',
  'Wireless bluetooth headphones with noise cancelling',
  'Over-ear headphones, foldable, black',
  'Café espresso machine with milk frother',
  'Crème brûlée ramekins set of 6',
  'Kids rain jacket, yellow, hooded',
  "Men's leather wallet with RFID blocking",
  'USB-C charging cable 2m braided',
  'Fast charger 65W USB-C power adapter',
  'Organic cotton t-shirt, white, slim fit',
  'Yoga mat non-slip 6mm extra thick',
  'Ceramic coffee mug 350ml',
  'Smart watch with heart rate monitor',
  'running shoes',
  'cheap headphones',
  'water bottle for kids',
  'coffee machine',
  'leather wallet men',
  'usb c cable',
];

const colors = ['red', 'blue', 'black', 'white', 'green', 'grey', 'navy', 'pink'];
const products = [
  'sneakers',
  'hiking boots',
  'backpack',
  'laptop sleeve',
  'phone case',
  'desk lamp',
  'office chair',
  'sunglasses',
  'winter gloves',
  'wool scarf',
  'denim jeans',
  'hoodie',
  'sandals',
  'umbrella',
  'notebook',
  'kettle',
];
/** tinyCorpus plus generated catalogue titles, so WordPiece sees repeated words and sub-words (~300 tokens). */
export const tinyTrainingCorpus: string[] = [
  ...tinyCorpus,
  ...products.flatMap((p, i) => colors.slice(0, 3 + (i % 4)).map((c, j) => `${c} ${p}, size ${36 + ((i + j) % 10)} - ${i % 2 ? 'men' : 'women'}'s`)),
];

export type TinyModelOptions = Partial<InitModelOptions>;

/**
 * Writes a tiny random BERT sentence encoder (hidden 32, 2 layers, 4 heads, ~300-token vocabulary, all
 * parameters random) and returns its folder. Without `dir` the folder is a temp dir shared by every caller
 * in this process that asks for the same options, so treat it as read-only.
 */
export function makeTinyModel(dir?: string, opts: TinyModelOptions = {}): Promise<string> {
  const build = () => initModel({ texts: tinyTrainingCorpus, hidden: 32, layers: 2, heads: 4, vocabSize: 300, perturbAll: true, ...opts });
  return modelFolder('ftlab-tiny-', opts, build, dir);
}

export interface FolderServer {
  /** e.g. http://127.0.0.1:12345 — pass as hubSource's endpoint */
  endpoint: string;
  close(): Promise<void>;
}

/** Serves local folders in Hub URL layout: GET/HEAD `/{hubId}/resolve/{revision}/{file}`, 404 otherwise. */
export async function serveFolders(folders: Record<string, string>): Promise<FolderServer> {
  // huggingface.co answers cross-origin requests, so pages on another origin (the lab) can fetch from it
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-expose-headers': '*' };
  const server = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/(.+?)\/resolve\/[^/]+\/(.+)$/.exec(url);
    const root = m && folders[m[1]] ? path.resolve(folders[m[1]]) : undefined;
    const file = root && path.resolve(root, m![2]);
    try {
      if (!file || !file.startsWith(root + path.sep) || !(await stat(file)).isFile()) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, { ...cors, 'content-length': body.byteLength, 'content-type': 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...cors, 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'Entry not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** An in-memory ModelSource (files keyed by relative path). */
export function memorySource(files: Record<string, string | Uint8Array>, id = 'memory'): ModelSource {
  const bytes = (f: string) => {
    const v = files[f];
    if (v === undefined) throw new ModelSourceError(`${id}/${f}: file not found`);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  };
  return {
    id,
    exists: async (f) => f in files,
    readBytes: async (f) => bytes(f),
    readText: async (f) => new TextDecoder().decode(bytes(f)),
  };
}
