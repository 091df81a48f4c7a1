import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { loadClipEncoder } from '../../../src/training/models/clip/loadClip.ts';
import type { ClipEncoder } from '../../../src/training/models/clip/clipEncoder.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { makeTinyClip, randomPixels } from '../../helpers/clipFixture.ts';
import { batchRows, clipLoss, maxAbs, runClipReferences, type ClipReferenceForward } from '../../helpers/clipReference.ts';
import { maxAbsDiff } from '../../helpers/reference.ts';

// Different lengths (padding after <|endoftext|>), accents, digits, a contraction and a repeated word.
const texts = ['Red running shoes for men, size 42', "women's shoes", 'Crème brûlée ramekins set of 6 - shoes shoes'];
// initFactor 3: peaked attention, so a transposed head, patch or mask cannot hide behind uniform softmaxes
const variants = [
  { name: 'quick_gelu', opts: { hiddenAct: 'quick_gelu' as const, initFactor: 3, seed: 5 } },
  { name: 'gelu', opts: { hiddenAct: 'gelu' as const, initFactor: 3, seed: 6 } },
];

interface Setup {
  dir: string;
  enc: ClipEncoder;
  rows: ReturnType<typeof batchRows>;
  pixels: ReturnType<typeof randomPixels>;
}
const setups: Setup[] = [];

beforeAll(async () => {
  for (const [i, v] of variants.entries()) {
    const dir = await makeTinyClip(undefined, v.opts);
    const enc = await loadClipEncoder(folderSource(dir));
    const rows = batchRows(enc.tokenizer.encode(texts, enc.maxTextLength));
    setups.push({ dir, enc, rows, pixels: randomPixels(40 + i, texts.length, 3, 32) });
  }
});

describe('ClipModel vs numpy float64 reference', () => {
  it('text and image embeddings, last hidden states and logits agree within 1e-5', () => {
    expect(tf.getBackend()).toBe(process.env.FTLAB_BACKEND ?? 'wasm');
    const refs = runClipReferences<ClipReferenceForward>(setups.map((s) => ({ model_dir: s.dir, ...s.rows, pixel_values: s.pixels.nested })));
    setups.forEach((s, i) => {
      const ref = refs[i]!;
      const before = tf.memory().numTensors;
      const x = s.enc.toTextInputs(texts);
      const pixels = tf.tensor4d(s.pixels.data, s.pixels.shape);
      const text = s.enc.model.textOutputs(x, { training: false });
      const image = s.enc.model.imageOutputs(pixels, { training: false });
      const logits = tf.tidy(() => {
        const n = (t: tf.Tensor2D) => tf.div(t, tf.norm(t, 'euclidean', -1, true));
        return tf.mul(tf.exp(s.enc.model.logitScale), tf.matMul(n(text.textEmbeds), n(image.imageEmbeds), false, true));
      });
      const diffs = {
        textEmbeds: maxAbsDiff(text.textEmbeds.dataSync(), ref.text_embeds.flat()),
        imageEmbeds: maxAbsDiff(image.imageEmbeds.dataSync(), ref.image_embeds.flat()),
        textHidden: maxAbsDiff(text.lastHiddenState.dataSync(), ref.text_last_hidden_state.flat(2)),
        // the vision residual stream is not normalized (values up to ~20 here): compare relative to its scale
        imageHiddenRel:
          maxAbsDiff(image.lastHiddenState.dataSync(), ref.image_last_hidden_state.flat(2)) / maxAbs(ref.image_last_hidden_state.flat(2)),
        logits: maxAbsDiff(logits.dataSync(), ref.logits_per_text.flat()),
      };
      console.log(`clip parity ${variants[i]!.name}: ${JSON.stringify(diffs)}`);
      for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-5);
      // values of order one, so 1e-5 is a real bound; and the rows differ (pooling did not pick one position for all)
      expect(maxAbs(ref.text_embeds.flat())).toBeGreaterThan(0.3);
      expect(maxAbs(ref.image_embeds.flat())).toBeGreaterThan(0.3);
      expect(maxAbsDiff(ref.text_embeds[0]!, ref.text_embeds[1]!)).toBeGreaterThan(0.1);
      tf.dispose([
        x.inputIds,
        x.attentionMask,
        x.eosOneHot,
        pixels,
        text.textEmbeds,
        text.lastHiddenState,
        image.imageEmbeds,
        image.lastHiddenState,
        logits,
      ]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

/** Coordinates in every parameter group: text, vision, both projections and logit_scale. */
function coordinates(s: Setup, seed: number): [string, number][] {
  const rng = new Rng(seed);
  const c = s.enc.model.config;
  const D = 32;
  const coords: [string, number][] = [];
  const pick = (name: string, n: number) => {
    const size = s.enc.model.params.get(name)!.size;
    for (let i = 0; i < n; i++) coords.push([name, rng.int(size)]);
  };
  const shoes = s.rows.input_ids[1]![2]!; // "shoes</w>" occurs in every row, twice in the last
  for (let i = 0; i < 3; i++) coords.push(['text_model.embeddings.token_embedding.weight', shoes * D + rng.int(D)]);
  for (const row of [0, 3, 9]) coords.push(['text_model.embeddings.position_embedding.weight', row * D + rng.int(D)]);
  for (const t of ['text_model', 'vision_model']) {
    for (let l = 0; l < 2; l++) {
      for (const n of [
        'self_attn.q_proj.weight',
        'self_attn.k_proj.weight',
        'self_attn.v_proj.bias',
        'self_attn.out_proj.weight',
        'layer_norm1.weight',
        'layer_norm2.bias',
        'mlp.fc1.weight',
        'mlp.fc2.weight',
        'mlp.fc1.bias',
      ])
        pick(`${t}.encoder.layers.${l}.${n}`, 1);
    }
  }
  pick('text_model.final_layer_norm.weight', 2);
  pick('text_model.final_layer_norm.bias', 1);
  pick('vision_model.embeddings.class_embedding', 2);
  pick('vision_model.embeddings.patch_embedding.weight', 4);
  pick('vision_model.embeddings.position_embedding.weight', 3);
  pick('vision_model.pre_layrnorm.weight', 2);
  pick('vision_model.post_layernorm.bias', 2);
  pick('text_projection.weight', 3);
  pick('visual_projection.weight', 3);
  coords.push(['logit_scale', 0]);
  expect(c.text.hidden_size).toBe(D);
  return coords;
}

describe('CLIP loss gradients vs float64 central finite differences', () => {
  it('match for every parameter group through checkpointed layers, and equal the un-checkpointed gradients', () => {
    const s = setups[0]!;
    const coords = coordinates(s, 9);
    const [ref] = runClipReferences<{ loss: number; grads: number[] }>([
      { model_dir: s.dir, mode: 'fd', ...s.rows, pixel_values: s.pixels.nested, coords, eps: 1e-6 },
    ]);
    const model = s.enc.model;
    const before = tf.memory().numTensors;
    const x = s.enc.toTextInputs(texts);
    const pixels = tf.tensor4d(s.pixels.data, s.pixels.shape);
    const params = [...model.trainableParams().values()];
    expect(params.length).toBe(model.params.size);
    const run = (checkpoint: boolean) =>
      tf.variableGrads(
        () =>
          clipLoss(
            model.textFeatures(x, { training: true, checkpoint }),
            model.imageFeatures(pixels, { training: true, checkpoint }),
            model.logitScale,
          ),
        params,
      );
    const ck = run(true);
    const plain = run(false);
    const values = new Map([...model.params].map(([name, v]) => [name, ck.grads[v.name]!.dataSync()]));
    const scale = maxAbs(ref!.grads);
    let worstRel = 0;
    let worstScaled = 0;
    const lines = coords.map(([name, idx], k) => {
      const ours = values.get(name)![idx]!;
      const fd = ref!.grads[k]!;
      const rel = Math.abs(ours - fd) / Math.max(Math.abs(ours), Math.abs(fd), 1e-12);
      // tiny gradients are dominated by float32 rounding; judge those against the largest gradient
      if (Math.abs(fd) > 1e-2 * scale) worstRel = Math.max(worstRel, rel);
      worstScaled = Math.max(worstScaled, Math.abs(ours - fd) / scale);
      return `${name}[${idx}] tfjs=${ours.toExponential(4)} fd=${fd.toExponential(4)} rel=${rel.toExponential(2)}`;
    });
    const lossDiff = Math.abs(ck.value.dataSync()[0]! - ref!.loss);
    let ckVsPlain = 0;
    for (const v of params) ckVsPlain = Math.max(ckVsPlain, maxAbsDiff(ck.grads[v.name]!.dataSync(), plain.grads[v.name]!.dataSync()));
    console.log(
      `clip gradcheck: loss ${ref!.loss.toFixed(6)} diff ${lossDiff.toExponential(2)}, worst rel ${worstRel.toExponential(2)}, ` +
        `worst |diff|/max|g| ${worstScaled.toExponential(2)}, checkpointed vs plain ${ckVsPlain.toExponential(2)}\n  ${lines.join('\n  ')}`,
    );
    expect(lossDiff).toBeLessThan(1e-5);
    expect(worstRel).toBeLessThan(1e-3);
    expect(worstScaled).toBeLessThan(1e-4);
    expect(ckVsPlain).toBeLessThan(1e-6);
    // most checked coordinates carry a real gradient (otherwise the check is empty), logit_scale included
    expect(ref!.grads.filter((g) => Math.abs(g) > 1e-3 * scale).length).toBeGreaterThan(coords.length * 0.8);
    expect(Math.abs(ref!.grads.at(-1)!)).toBeGreaterThan(1e-3 * scale);
    tf.dispose([x.inputIds, x.attentionMask, x.eosOneHot, pixels, ck.value, plain.value, ...Object.values(ck.grads), ...Object.values(plain.grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
