import * as ort from 'onnxruntime-node';
import { buildClipVisionOnnx } from '../src/training/export/clipOnnx.ts';
import { clipBenchSetup, timeImageBatches, type ClipBenchOptions, type ClipBenchResult } from './clipBench.ts';

/** The baseline: the same random CLIP's vision tower through ftlab's own ONNX export, on onnxruntime-node (CPU EP). */
export async function runClipOnnxBench(o: ClipBenchOptions): Promise<ClipBenchResult> {
  const { config, weights, pixelsData, shape } = clipBenchSetup(o);
  const S = config.vision.image_size;
  const session = await ort.InferenceSession.create(buildClipVisionOnnx(config, weights), { graphOptimizationLevel: 'all' });
  try {
    const feed = { pixel_values: new ort.Tensor('float32', pixelsData, [o.batch, 3, S, S]) };
    const encodeImages = await timeImageBatches(o, async () => {
      const out = await session.run(feed, ['image_embeds']);
      if (out.image_embeds!.dims[0] !== o.batch) throw new Error(`onnx: image_embeds has shape ${out.image_embeds!.dims}`);
    });
    o.log(`onnx ${encodeImages.imagesPerSec.toFixed(1)} images/s`);
    return { backend: 'onnxruntime-node', shape, batch: o.batch, encodeImages };
  } finally {
    await session.release();
  }
}
