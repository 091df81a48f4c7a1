import { decodeImageBlob } from '../../src/workers/images/decodeImageBlob.ts';

// Worker half of test/browser/imageDecode.ts: the lab decodes images in workers, where only OffscreenCanvas exists.
self.onmessage = async (e: MessageEvent<{ base64: string; type: string }>) => {
  const bytes = Uint8Array.from(atob(e.data.base64), (c) => c.charCodeAt(0));
  try {
    const img = await decodeImageBlob(new Blob([bytes], { type: e.data.type }), 'worker fixture');
    self.postMessage({ width: img.width, height: img.height, data: Array.from(img.data) });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
