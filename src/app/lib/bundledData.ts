/**
 * The Chorus catalogue (four Icecat JSON zips, 19,406 products) and the dev judgments, shipped in
 * public/data/chorus/ so the kata runs with one click and offline. Fetched with byte progress.
 */
import { gunzipSync } from 'fflate';

export const chorusCorpusFiles = ['1.json.zip', '2.json.zip', '3.json.zip', '4.json.zip'];
export const chorusJudgmentsFile = 'judgments-dev.csv';

export interface FetchedFile {
  name: string;
  bytes: Uint8Array;
}

export type Fetcher = (url: string) => Promise<Response>;

/** Reads a response body, reporting bytes as they arrive. */
export async function readWithProgress(res: Response, onBytes: (n: number) => void): Promise<Uint8Array> {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onBytes(b.byteLength);
    return b;
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
    onBytes(value.byteLength);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Text of a file that may be gzip-compressed (magic bytes 1f 8b). */
export function decodeMaybeGzip(bytes: Uint8Array): string {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return new TextDecoder().decode(raw);
}

export async function fetchBundledChorus(
  base: string,
  onProgress: (doneBytes: number, file: string) => void,
  fetcher: Fetcher = (u) => fetch(u),
  signal?: AbortSignal,
): Promise<{ corpus: FetchedFile[]; judgments: { name: string; text: string } }> {
  let done = 0;
  const get = async (name: string) => {
    signal?.throwIfAborted();
    const res = await fetcher(`${base.replace(/\/+$/, '')}/${name}`);
    if (!res.ok) throw new Error(`The bundled file data/chorus/${name} could not be loaded (HTTP ${res.status})`);
    return readWithProgress(res, (n) => {
      done += n;
      onProgress(done, name);
    });
  };
  const corpus: FetchedFile[] = [];
  for (const name of chorusCorpusFiles) corpus.push({ name, bytes: await get(name) });
  const judgments = { name: chorusJudgmentsFile, text: decodeMaybeGzip(await get(chorusJudgmentsFile)) };
  return { corpus, judgments };
}
