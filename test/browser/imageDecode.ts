import { defaultClipImageConfig } from '../../src/training/images/clipImageProcessor.ts';
import { loadPixelsBatch } from '../../src/training/images/imageProvider.ts';
import { decodeImageBlob } from '../../src/workers/images/decodeImageBlob.ts';
import { urlImageProvider } from '../../src/workers/images/urlImageProvider.ts';

/** Page entry for test/browser/images.browser.test.ts: the browser decoder and URL provider in real Chromium. */

export interface Decoded {
  width: number;
  height: number;
  data: number[];
}

export async function decode(base64: string, type: string): Promise<Decoded | { error: string }> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  try {
    const img = await decodeImageBlob(new Blob([bytes], { type }), `fixture.${type.split('/')[1]}`);
    return { width: img.width, height: img.height, data: Array.from(img.data) };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Decodes in a dedicated worker too (OffscreenCanvas and WebGL2 there), returning the same shape. */
export async function decodeInWorker(base64: string, type: string): Promise<Decoded | { error: string }> {
  const worker = new Worker(new URL('./imageDecodeWorker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<Decoded | { error: string }>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ base64, type });
    });
  } finally {
    worker.terminate();
  }
}

export async function urlBatch(entries: [string, string][], size: number) {
  const provider = urlImageProvider(new Map(entries), defaultClipImageConfig(size), { concurrency: 2 });
  const out = await loadPixelsBatch(
    provider,
    entries.map(([k]) => k),
  );
  return { pixels: out.pixels.map((p) => (p ? Array.from(p) : null)), failures: out.failures, counts: provider.failureCounts() };
}

export async function probeOrientation(): Promise<Record<string, boolean>> {
  const { browserAppliesOrientation } = await import('../../src/workers/images/orientationProbe.ts');
  return {
    jpeg: await browserAppliesOrientation('jpeg'),
    png: await browserAppliesOrientation('png'),
    webp: await browserAppliesOrientation('webp'),
  };
}
