import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatFloat32 } from '../../training/chorus/float32Text.ts';
import { detail, parseEmbeddingRequest } from './embeddingRequest.ts';
import { MicroBatcher, type BatchStats } from './microBatcher.ts';

/**
 * Chorus' embeddings API (querqy/chorus embeddings/, FastAPI) on node:http: `POST /<route>/text/` per
 * model, answering {"embedding": [...]} or the vector joined into a string, so Querqy's
 * ChorusEmbeddingModel can point at it instead of the Python service. Errors never take the process
 * down: every failure becomes a JSON response with FastAPI's body shapes.
 */

/**
 * What a route needs from a model: onnxTextEmbedder.ts (sentence-transformers, pooling inside the graph) and
 * onnxClipTextEmbedder.ts (a CLIP text tower, EOS pooling) both provide it.
 */
export interface TextEmbedder {
  readonly sourceId: string;
  readonly dimension: number;
  /** shown by the route's GET; `normalize` says whether the model's own vectors are unit length */
  readonly config: { maxSeqLength: number; pooling: string; normalize: boolean };
  /** one model call for all texts; rows in input order */
  embed(texts: string[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export interface ServedModel {
  route: string;
  embedder: TextEmbedder;
  /** shown by /health, e.g. the model folder */
  name: string;
}

export interface EmbeddingServerOptions {
  models: ServedModel[];
  port?: number;
  host?: string;
  /** request body limit in bytes; default 1 MiB */
  maxBodyBytes?: number;
  /** micro-batching: texts per ONNX run and the longest wait for company; defaults 32 and 2 ms */
  maxBatch?: number;
  maxWaitMs?: number;
  /** answer the unnormalized vector whatever `normalize` says (what Chorus' ftbert route does) */
  ignoreNormalize?: boolean;
  log?: (message: string) => void;
}

export interface EmbeddingServer {
  url: string;
  port: number;
  /** per route: requests, ONNX runs (batches), largest batch */
  stats(): Record<string, BatchStats>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () =>
    new HttpError(413, detail('body_too_large', ['body'], `Request body is larger than ${limit} bytes`), { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (d: Buffer) => {
      if (done) return;
      size += d.length;
      if (size > limit) {
        done = true;
        parts.length = 0;
        reject(tooLarge());
        return;
      }
      parts.push(d);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(parts).toString('utf8'));
      done = true;
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}

function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.max(Math.sqrt(s), 1e-12);
  return v.map((x) => x / n);
}

export async function startEmbeddingServer(opts: EmbeddingServerOptions): Promise<EmbeddingServer> {
  if (!opts.models.length) throw new Error('no models to serve');
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.log ?? (() => {});
  const routes = new Map<string, { model: ServedModel; batcher: MicroBatcher<Float32Array> }>();
  for (const m of opts.models) {
    if (!/^[A-Za-z0-9_-]+$/.test(m.route)) throw new Error(`route "${m.route}" is not valid (use letters, digits, _ and -)`);
    if (routes.has(m.route)) throw new Error(`route "${m.route}" is used twice`);
    const batcher = new MicroBatcher<Float32Array>((texts) => m.embedder.embed(texts), {
      maxBatch: opts.maxBatch ?? 32,
      maxWaitMs: opts.maxWaitMs ?? 2,
    });
    routes.set(m.route, { model: m, batcher });
  }
  const info = (m: ServedModel) => ({
    route: `/${m.route}/text/`,
    model: m.name,
    dimension: m.embedder.dimension,
    max_seq_length: m.embedder.config.maxSeqLength,
    pooling: m.embedder.config.pooling,
    normalized: m.embedder.config.normalize,
  });
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health' || path === '/') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, { detail: 'Method Not Allowed' }, { allow: 'GET' });
      const stats = Object.fromEntries([...routes].map(([r, x]) => [r, x.batcher.stats]));
      return sendJson(res, closing ? 503 : 200, {
        status: closing ? 'closing' : 'ok',
        models: [...routes.values()].map((x) => info(x.model)),
        stats,
      });
    }
    const m = /^\/([^/]+)(\/text)?\/?$/.exec(path);
    const entry = m ? routes.get(m[1]!) : undefined;
    if (!m || !entry) throw new HttpError(404, { detail: 'Not Found' });
    if (!m[2]) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, { detail: 'Method Not Allowed' }, { allow: 'GET' });
      return sendJson(res, 200, info(entry.model));
    }
    if (req.method !== 'POST') throw new HttpError(405, { detail: 'Method Not Allowed' }, { allow: 'POST' });
    const parsed = parseEmbeddingRequest(await readBody(req, limit));
    if (!parsed.ok) throw new HttpError(parsed.status, parsed.body);
    const r = parsed.request;
    let vec = await entry.batcher.submit(r.text);
    if (r.normalize && !opts.ignoreNormalize) vec = l2normalize(vec);
    // float_list: the float32 values as doubles, like numpy's tolist(); string: numpy's str() of each float32
    const embedding =
      r.outputFormat === 'string' ? JSON.stringify(Array.from(vec, formatFloat32).join(r.separator)) : JSON.stringify(Array.from(vec));
    return sendJson(res, 200, `{"embedding":${embedding}}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) {
        sendJson(res, e.status, e.body, e.headers);
        // an oversized body is not read to its end: close the connection once the answer is out
        if (e.status === 413) res.on('finish', () => req.destroy());
        return;
      }
      log(`error on ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      sendJson(res, closing ? 503 : 500, { detail: closing ? 'Service Unavailable' : 'Internal Server Error' });
    });
  });
  // slow or stalled clients must not pin sockets forever
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => Object.fromEntries([...routes].map(([r, x]) => [r, { ...x.batcher.stats }])),
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.all([...routes.values()].map((x) => x.batcher.drain()));
        // in-flight responses have been written; drop keep-alive sockets that linger
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        await stopped;
        clearTimeout(force);
        for (const x of routes.values()) await x.model.embedder.release();
      })();
      return closed;
    },
  };
}
