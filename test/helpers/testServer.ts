import { startEmbeddingServer, type EmbeddingServer, type ServedModel } from '../../src/cli/serve/embeddingServer.ts';

export interface TestServer {
  server: EmbeddingServer;
  /** POSTs `body` as JSON to `route` (or, with `raw`, the string as it is) */
  post(route: string, body: unknown, raw?: boolean): Promise<Response>;
}

/** An embedding server for one model on a free port of 127.0.0.1, and a client for it. */
export async function startTestServer(model: ServedModel, batching: { maxBatch: number; maxWaitMs: number }): Promise<TestServer> {
  const server = await startEmbeddingServer({ models: [model], port: 0, host: '127.0.0.1', ...batching });
  const post = (route: string, body: unknown, raw = false) =>
    fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ? (body as string) : JSON.stringify(body),
    });
  return { server, post };
}
