import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { buildClipTextOnnx, buildClipVisionOnnx } from '../../../src/training/export/clipOnnx.ts';
import { parseClipConfig } from '../../../src/training/models/clip/clipConfig.ts';
import { normalizeClipNames } from '../../../src/training/models/clip/clipWeights.ts';
import { loadTokenizer } from '../../../src/training/models/tokenizer.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { readSafetensors } from '../../../src/training/weights/safetensors.ts';
import { makeTinyClip } from '../../helpers/clipFixture.ts';
import { runClipReferences, type ClipReferenceForward } from '../../helpers/clipReference.ts';
import { maxAbsDiff } from '../../helpers/onnx.ts';

/**
 * Both ONNX towers, every output (last_hidden_state included, which the tfjs parity tests cannot see), against
 * test/reference/clip_reference.py: float64 numpy written from transformers' modeling_clip.py.
 */

async function compare(dir: string) {
  const config = parseClipConfig(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')));
  const file = path.join(dir, 'model.safetensors');
  const { weights } = normalizeClipNames(readSafetensors(new Uint8Array(await readFile(file))), config, file);
  const tokenizer = await loadTokenizer(folderSource(dir));
  const b = tokenizer.encode(['Red running shoes for men', '', 'usb c cable, braided, 2m', 'mug'], config.text.max_position_embeddings);
  const rng = new Rng(9);
  const { image_size: size, num_channels: C } = config.vision;
  const px = Float32Array.from({ length: 3 * C * size * size }, () => (rng.next() * 2 - 1) * 2);

  const rows = (a: Int32Array) => Array.from({ length: b.batchSize }, (_, i) => Array.from(a.subarray(i * b.seqLen, (i + 1) * b.seqLen)));
  const image = Array.from({ length: 3 }, (_, n) =>
    Array.from({ length: C }, (_, c) =>
      Array.from({ length: size }, (_, y) => Array.from(px.subarray(((n * C + c) * size + y) * size, ((n * C + c) * size + y + 1) * size))),
    ),
  );
  const request = { model_dir: dir, input_ids: rows(b.inputIds), attention_mask: rows(b.attentionMask), pixel_values: image };
  const [ref] = runClipReferences<ClipReferenceForward>([request]);

  const i64 = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [b.batchSize, b.seqLen],
    );
  const textSession = await ort.InferenceSession.create(buildClipTextOnnx(config, weights));
  const visionSession = await ort.InferenceSession.create(buildClipVisionOnnx(config, weights));
  try {
    const t = await textSession.run({ input_ids: i64(b.inputIds), attention_mask: i64(b.attentionMask) });
    const v = await visionSession.run({ pixel_values: new ort.Tensor('float32', px, [3, C, size, size]) });
    return {
      text: maxAbsDiff(t.text_embeds!.data as Float32Array, ref!.text_embeds.flat()),
      textHidden: maxAbsDiff(t.last_hidden_state!.data as Float32Array, ref!.text_last_hidden_state.flat(2)),
      image: maxAbsDiff(v.image_embeds!.data as Float32Array, ref!.image_embeds.flat()),
      visionHidden: maxAbsDiff(v.last_hidden_state!.data as Float32Array, ref!.image_last_hidden_state.flat(2)),
    };
  } finally {
    await textSession.release();
    await visionSession.release();
  }
}

describe("CLIP ONNX towers vs a float64 numpy reference of transformers' modeling_clip.py", () => {
  it.each([['quick_gelu' as const], ['gelu' as const]])('%s: embeddings and every last_hidden_state position (padded rows too)', async (act) => {
    const diffs = await compare(await makeTinyClip(undefined, { hiddenAct: act }));
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });
});
