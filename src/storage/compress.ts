/**
 * gzip for stored blobs. CompressionStream (browsers, workers, Node ≥ 18) keeps large corpora off the main
 * thread's synchronous path; fflate is the fallback where it is missing. Both read each other's output.
 */
import { gunzipSync, gzipSync } from 'fflate';

const hasStreams = () => typeof CompressionStream !== 'undefined' && typeof DecompressionStream !== 'undefined';

/** Bytes as their own ArrayBuffer (a Blob part must not be a view into a SharedArrayBuffer); no copy otherwise. */
function blobPart(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** A Blob of the bytes without an extra copy of large model files or checkpoints. */
export function bytesToBlob(bytes: Uint8Array, type?: string): Blob {
  return new Blob([blobPart(bytes)], type ? { type } : undefined);
}

export async function gzipToBlob(bytes: Uint8Array, opts: { useStreams?: boolean } = {}): Promise<Blob> {
  if (opts.useStreams ?? hasStreams()) {
    const stream = new Blob([blobPart(bytes)]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Response(stream).blob();
  }
  return new Blob([blobPart(gzipSync(bytes, { level: 6 }))]);
}

export async function gunzipBlob(blob: Blob, opts: { useStreams?: boolean } = {}): Promise<Uint8Array> {
  if (opts.useStreams ?? hasStreams()) {
    const stream = blob.stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return gunzipSync(new Uint8Array(await blob.arrayBuffer()));
}

/** Zip, gzip, PNG and similar files gain nothing from another gzip pass. */
export function looksCompressed(name: string, bytes: Uint8Array): boolean {
  if (/\.(zip|gz|tgz|png|jpe?g|webp|br|zst)$/i.test(name)) return true;
  return bytes.length >= 4 && ((bytes[0] === 0x50 && bytes[1] === 0x4b) || (bytes[0] === 0x1f && bytes[1] === 0x8b));
}
