import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { familyForType, familyOf, supportedModelTypes } from '../../../src/training/families/registry.ts';
import type { TextShape } from '../../../src/training/families/shapes.ts';
import { xlmRobertaPositionIds } from '../../../src/training/families/xlmRoberta/xlmRobertaPositions.ts';
import { parseXlmRobertaConfig } from '../../../src/training/families/xlmRoberta/xlmRobertaBackbone.ts';
import { BertModel } from '../../../src/training/models/bert/bert.ts';
import { l2normalize, pool, type PoolingMode } from '../../../src/training/models/pooling.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import type { ModelSource } from '../../../src/training/source/modelSource.ts';
import { readSafetensors, writeSafetensors } from '../../../src/training/weights/safetensors.ts';
import { maxAbsDiff } from '../../helpers/reference.ts';
import { makeTinyXlmRoberta, multilingualCorpus, runXlmrReferences, type XlmrForward } from '../../helpers/xlmRobertaFixture.ts';

const texts = ['Rote Laufschuhe für Herren', 'mug', 'Кофемашина эспрессо', 'ステンレス製 水筒', 'usb c cable, 2m braided and fast'];
let dir = '';
let encoder: SentenceEncoder;
const cleanups: string[] = [];

beforeAll(async () => {
  dir = await makeTinyXlmRoberta();
  encoder = (await (await familyOf(folderSource(dir))).load(folderSource(dir))) as SentenceEncoder;
});
afterAll(async () => {
  encoder?.dispose();
  for (const d of cleanups) await rm(d, { recursive: true, force: true });
});

const rows = (a: Int32Array, B: number, S: number) => Array.from({ length: B }, (_, i) => [...a.subarray(i * S, (i + 1) * S)]);

describe('XLM-RoBERTa tokenizer (Unigram tokenizer.json through transformers.js)', () => {
  it('wraps texts in <s> … </s>, pads with id 1 and has no token types', () => {
    const b = encoder.tokenizer.encode(texts, encoder.config.maxSeqLength);
    const ids = rows(b.inputIds, b.batchSize, b.seqLen);
    const mask = rows(b.attentionMask, b.batchSize, b.seqLen);
    ids.forEach((r, i) => {
      const n = mask[i]!.reduce((s, x) => s + x, 0);
      expect(r[0]).toBe(0);
      expect(r[n - 1]).toBe(2);
      expect(r.slice(n).every((x) => x === 1)).toBe(true);
      expect(r.slice(1, n - 1).every((x) => x > 3)).toBe(true); // no <unk>: every character of the corpus is a piece
    });
    expect(new Set(mask.map((m) => m.reduce((s, x) => s + x, 0))).size).toBeGreaterThan(2);
    expect(b.tokenTypeIds.every((t) => t === 0)).toBe(true);
    const pair = encoder.tokenizer.encodePairs(['mug'], ['usb c cable'], 24);
    const p = [...pair.inputIds];
    expect(p.filter((x) => x === 2).length).toBe(3); // <s> A </s></s> B </s>
  });
});

describe('XLM-RoBERTa forward vs numpy float64 reference', () => {
  it('matches last_hidden_state (pads included), position ids and every pooling within 1e-5; BERT positions do not', async () => {
    const batches = [texts, multilingualCorpus.slice(-4)].map((t) => {
      const b = encoder.tokenizer.encode(t, encoder.config.maxSeqLength);
      return { input_ids: rows(b.inputIds, b.batchSize, b.seqLen), attention_mask: rows(b.attentionMask, b.batchSize, b.seqLen) };
    });
    const refs = (runXlmrReferences([{ model_dir: dir, batches }]) as XlmrForward[])[0]!.results;
    const weights = await encoder.model.exportWeights();
    const bertPositions = BertModel.fromWeights(encoder.model.config, weights);
    const diffs: Record<string, number> = {};
    let wrongOffset = Infinity;
    batches.forEach((b, k) => {
      const ref = refs[k]!;
      tf.tidy(() => {
        const inputs = {
          inputIds: tf.tensor2d(b.input_ids, undefined, 'int32'),
          attentionMask: tf.tensor2d(b.attention_mask, undefined, 'int32'),
          tokenTypeIds: tf.zeros([b.input_ids.length, b.input_ids[0]!.length], 'int32') as tf.Tensor2D,
        };
        expect(xlmRobertaPositionIds(encoder.model.config)(inputs.inputIds).arraySync()).toEqual(ref.position_ids);
        const hidden = encoder.model.forward(inputs, { training: false });
        diffs[`hidden${k}`] = maxAbsDiff(hidden.dataSync(), ref.last_hidden_state.flat(2));
        for (const mode of ['mean', 'cls', 'max'] as PoolingMode[]) {
          for (const normalize of [false, true]) {
            const key = mode + (normalize ? '+normalize' : '');
            const p = pool(hidden, inputs.attentionMask, mode);
            diffs[`${key}${k}`] = maxAbsDiff((normalize ? l2normalize(p) : p).dataSync(), ref.all_poolings[key]!.flat());
          }
        }
        const bert = bertPositions.forward(inputs, { training: false });
        wrongOffset = Math.min(wrongOffset, maxAbsDiff(bert.dataSync(), ref.last_hidden_state.flat(2)));
      });
      expect(Math.max(...ref.last_hidden_state.flat(2).map(Math.abs))).toBeGreaterThan(0.5);
    });
    bertPositions.dispose();
    console.log(`xlm-roberta parity: ${JSON.stringify(diffs)}; BERT 0-based positions: ${wrongOffset.toExponential(2)}`);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-5);
    expect(wrongOffset).toBeGreaterThan(1e-2);
  });

  it('refuses sequences longer than the positions the table can number', () => {
    const c = parseXlmRobertaConfig({
      vocab_size: 10,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 8,
      max_position_embeddings: 6,
    });
    const ids = tf.zeros([1, 5], 'int32') as tf.Tensor2D;
    expect(() => xlmRobertaPositionIds(c)(ids)).toThrow(/sequence length 5 exceeds the 4 positions/);
    ids.dispose();
  });
});

describe('XLM-RoBERTa gradients vs float64 central finite differences', () => {
  it('match for word, position (real rows and the padding row) and type embeddings, attention, FFN and LayerNorm', () => {
    const H = 32;
    const batch = {
      input_ids: [
        [0, 40, 41, 40, 42, 2],
        [0, 43, 2, 1, 1, 1],
      ],
      attention_mask: [
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0, 0],
      ],
    };
    const w = batch.input_ids.map((_, i) => Array.from({ length: H }, (_, k) => Math.sin(1 + i * H + k)));
    const coords: [string, number][] = [
      ['embeddings.word_embeddings.weight', 40 * H + 3],
      ['embeddings.word_embeddings.weight', 43 * H + 17],
      ['embeddings.position_embeddings.weight', 2 * H + 5],
      ['embeddings.position_embeddings.weight', 3 * H + 30],
      ['embeddings.position_embeddings.weight', 7 * H + 11], // only the long row reaches position 2 + 5
      ['embeddings.position_embeddings.weight', 1 * H + 4], // padding_idx: no real token reads it
      ['embeddings.token_type_embeddings.weight', 9],
      ['embeddings.LayerNorm.weight', 12],
      ['encoder.layer.0.attention.self.query.weight', 77],
      ['encoder.layer.1.attention.self.key.weight', 501],
      ['encoder.layer.0.intermediate.dense.weight', 1000],
      ['encoder.layer.1.output.dense.weight', 333],
      ['encoder.layer.1.output.LayerNorm.bias', 6],
    ];
    const ref = runXlmrReferences([
      { model_dir: dir, mode: 'fd', batches: [batch], pooling: 'mean', normalize: true, w: [w], coords, eps: 1e-6 },
    ])[0] as { loss: number; grads: number[] };
    const params = encoder.model.trainableParams();
    const inputs = {
      inputIds: tf.tensor2d(batch.input_ids, undefined, 'int32'),
      attentionMask: tf.tensor2d(batch.attention_mask, undefined, 'int32'),
      tokenTypeIds: tf.zeros([2, 6], 'int32') as tf.Tensor2D,
    };
    const wT = tf.tensor2d(w);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(l2normalize(pool(encoder.model.forward(inputs, { training: false }), inputs.attentionMask, 'mean')), wT)),
      [...params.values()],
    );
    const ours = coords.map(([name, idx]) => grads[params.get(name)!.name]!.dataSync()[idx]!);
    const scale = Math.max(...ref.grads.map(Math.abs));
    const scaled = ours.map((g, k) => Math.abs(g - ref.grads[k]!) / scale);
    const rel = ours.map((g, k) => Math.abs(g - ref.grads[k]!) / Math.max(Math.abs(g), Math.abs(ref.grads[k]!), 1e-12));
    const worstRel = Math.max(...rel.filter((_, k) => Math.abs(ref.grads[k]!) > 1e-2 * scale));
    console.log(
      `xlm-roberta gradcheck: loss diff ${Math.abs(value.dataSync()[0]! - ref.loss).toExponential(2)}, worst rel ${worstRel.toExponential(2)}, ` +
        `worst |diff|/max|g| ${Math.max(...scaled).toExponential(2)}\n  ${coords.map(([n, i], k) => `${n}[${i}] tfjs=${ours[k]!.toExponential(4)} fd=${ref.grads[k]!.toExponential(4)}`).join('\n  ')}`,
    );
    expect(Math.abs(value.dataSync()[0]! - ref.loss)).toBeLessThan(1e-4);
    expect(worstRel).toBeLessThan(1e-4);
    expect(Math.max(...scaled)).toBeLessThan(1e-5);
    expect(ours[5]).toBe(0);
    expect(ref.grads[5]).toBe(0);
    expect(ref.grads.filter((g) => Math.abs(g) > 1e-3 * scale).length).toBeGreaterThanOrEqual(coords.length - 2);
    tf.dispose([wT, value, ...Object.values(grads), inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  });
});

/** A source of config.json alone (what inspect and estimate read before any download). */
const configOnly = (config: Record<string, unknown>): ModelSource => ({
  id: 'e5-like',
  exists: async (f) => f === 'config.json',
  readBytes: async () => {
    throw new Error('no weights');
  },
  readText: async (f) => {
    if (f !== 'config.json') throw new Error(`${f} not found`);
    return JSON.stringify(config);
  },
});

describe('the xlm-roberta family in the registry', () => {
  it('is picked from config.json, inspects the right shape and estimates a run', async () => {
    const family = await familyOf(folderSource(dir));
    expect(family.name).toBe('xlm-roberta');
    expect(familyForType('xlm-roberta')).toBe(family);
    expect(supportedModelTypes()).toContain('xlm-roberta');
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    const shape = (await family.inspect(folderSource(dir))) as TextShape;
    expect(shape).toMatchObject({
      family: 'xlm-roberta',
      hidden: 32,
      layers: 2,
      heads: 4,
      intermediate: 48,
      vocabSize: config.vocab_size,
      maxSeqLength: 24,
      positions: 130,
      typeVocab: 1,
    });
    let all = 0;
    for (const v of encoder.model.params.values()) all += v.size;
    const estimate = family.estimate({ model: shape, batchSize: 16, rows: 100 }, { backend: 'wasm' });
    expect(estimate).toMatchObject({ fits: true, parameters: all, totalSteps: 7 });
    expect(family.describe('tiny', encoder)).toMatchObject({
      modelType: 'xlm-roberta',
      family: 'xlm-roberta',
      task: 'text',
      dim: 32,
      maxSeqLength: 24,
    });
    // multilingual-e5-small's numbers: 514 positions number 512 tokens, one token type
    const e5 = {
      model_type: 'xlm-roberta',
      vocab_size: 250037,
      hidden_size: 384,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 1536,
      max_position_embeddings: 514,
      type_vocab_size: 1,
    };
    const e5Shape = (await family.inspect(configOnly(e5))) as TextShape;
    expect(e5Shape).toMatchObject({ family: 'xlm-roberta', maxSeqLength: 512, positions: 514, typeVocab: 1 });
    // XLMRobertaModel's parameters: the 514-row position table and a single token type, plus the pooler
    const [H, I] = [384, 1536];
    const e5Params = (250037 + 514 + 1) * H + 2 * H + 12 * (4 * (H * H + H) + (H * I + I) + (I * H + H) + 4 * H) + H * H + H;
    expect(family.estimate({ model: e5Shape, batchSize: 16, rows: 1000 }, { backend: 'wasm' }).parameters).toBe(e5Params);
  });

  it('loads `roberta.`-prefixed task checkpoints, naming the tensors it ignores', async () => {
    const copy = await mkdtemp(path.join(os.tmpdir(), 'ftlab-xlmr-prefixed-'));
    cleanups.push(copy);
    await cp(dir, copy, { recursive: true });
    const tensors = readSafetensors(new Uint8Array(await readFile(path.join(dir, 'model.safetensors'))));
    const prefixed = new Map([...tensors].map(([n, t]) => [`roberta.${n}`, t]));
    prefixed.set('lm_head.bias', { shape: [3], data: new Float32Array(3) });
    prefixed.set('roberta.embeddings.position_ids', { shape: [1], data: new Float32Array(1) });
    await writeFile(path.join(copy, 'model.safetensors'), writeSafetensors(prefixed));
    const warnings: string[] = [];
    const again = (await (await familyOf(folderSource(copy))).load(folderSource(copy), { onWarning: (m) => warnings.push(m) })) as SentenceEncoder;
    try {
      expect(warnings.join('\n')).toMatch(/ignored 1 tensor\(s\) that are not part of XLMRobertaModel: lm_head\.bias$/);
      const flat = (r: Float32Array[]) => Float32Array.from(r.flatMap((x) => [...x]));
      expect(maxAbsDiff(flat(await again.encode(texts)), flat(await encoder.encode(texts)))).toBe(0);
    } finally {
      again.dispose();
    }
  });
});
