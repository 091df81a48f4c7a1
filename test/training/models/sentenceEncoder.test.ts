import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { initModel } from '../../../src/training/init/initModel.ts';
import type { ModelFiles } from '../../../src/training/export/modelFiles.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import type { ModelSource } from '../../../src/training/source/modelSource.ts';
import { readSafetensors, writeSafetensors } from '../../../src/training/weights/safetensors.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';
import { maxAbsDiff, runReference } from '../../helpers/reference.ts';

/** A ModelSource over in-memory files, so registry cases can edit a model without touching disk. */
function memorySource(files: ModelFiles, id = 'mem-model'): ModelSource {
  const bytes = (f: string) => {
    const v = files.get(f);
    if (v === undefined) throw new Error(`${id}/${f}: file not found`);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  };
  return {
    id,
    exists: async (f) => files.has(f),
    readBytes: async (f) => bytes(f),
    readText: async (f) => new TextDecoder().decode(bytes(f)),
  };
}

const texts = [...tinyCorpus.slice(0, 9), 'a much longer query about waterproof trail running shoes for women with extra grip and a hood', 'mug'];

describe('SentenceEncoder on a tiny sentence-transformers folder', () => {
  let dir: string;
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    dir = await makeTinyModel();
    encoder = await loadSentenceEncoder(folderSource(dir));
  });
  afterAll(() => encoder?.dispose());

  it('encode() matches the numpy sentence-transformers reference, in input order', async () => {
    expect(encoder.config).toMatchObject({ pooling: 'mean', normalize: true });
    const b = encoder.tokenizer.encode(texts, encoder.config.maxSeqLength);
    const rows = (a: Int32Array) => Array.from({ length: b.batchSize }, (_, i) => Array.from(a.subarray(i * b.seqLen, (i + 1) * b.seqLen)));
    const ref = runReference({
      model_dir: dir,
      batches: [{ input_ids: rows(b.inputIds), attention_mask: rows(b.attentionMask), token_type_ids: rows(b.tokenTypeIds) }],
      pooling: encoder.config.pooling,
      normalize: encoder.config.normalize,
    }).results[0]!.sentence_embedding;
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const out = await encoder.encode(texts, { batchSize: 4, onProgress: (d, t) => progress.push([d, t]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(out).toHaveLength(texts.length);
    const diff = maxAbsDiff(
      out.flatMap((v) => Array.from(v)),
      ref.flat(),
    );
    console.log(`encode vs numpy reference: max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
    expect(progress).toEqual([
      [4, 11],
      [8, 11],
      [11, 11],
    ]);
    const single = await encoder.encode([texts[9]!, texts[0]!], { batchSize: 1 });
    expect(maxAbsDiff(single[0]!, out[9]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(single[1]!, out[0]!)).toBeLessThan(1e-5);
    expect(await encoder.encode([])).toEqual([]);
  });

  it('encode() stops with an AbortError when its signal fires', async () => {
    const before = tf.memory().numTensors;
    const pre = new AbortController();
    pre.abort();
    await expect(encoder.encode(texts, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError', message: /aborted after 0 of 11/ });
    const mid = new AbortController();
    let batches = 0;
    const run = encoder.encode(texts, {
      batchSize: 2,
      signal: mid.signal,
      onProgress: () => {
        if (++batches === 2) mid.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: /aborted after 4 of 11/ });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('embedTexts() is differentiable, seeded in training, and leaks nothing', () => {
    const vars = [...encoder.model.trainableParams().values()];
    const before = tf.memory().numTensors;
    const step = (seed: number) => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(tf.sub(encoder.embedTexts(texts.slice(0, 3), { training: true, seed }), 0.1))),
        vars,
      );
      const out = { loss: value.dataSync()[0]!, gradCount: Object.keys(grads).length, wordGrad: grads[vars[0]!.name]!.dataSync().slice() };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const a = step(1);
    expect(a.gradCount).toBe(vars.length);
    expect(a.wordGrad.some((g) => g !== 0)).toBe(true);
    expect(step(1).loss).toBe(a.loss);
    expect(step(2).loss).not.toBe(a.loss);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('toInputs() rejects ids outside the vocabulary', () => {
    const S = 3;
    const bad = {
      inputIds: new Int32Array([2, 100000, 3]),
      attentionMask: new Int32Array(S).fill(1),
      tokenTypeIds: new Int32Array(S),
      batchSize: 1,
      seqLen: S,
    };
    expect(() => encoder.toInputs(bad)).toThrow(/input id 100000 is outside/);
  });
});

describe('loadSentenceEncoder', () => {
  const base = initModel({ texts: tinyCorpus, hidden: 32, layers: 2, heads: 4, vocabSize: 300 });
  const withConfig = (patch: Record<string, unknown>) => {
    const files = new Map(base);
    files.set('config.json', JSON.stringify({ ...JSON.parse(base.get('config.json') as string), ...patch }));
    return files;
  };

  it('applies the dropout override to both rates and keeps config.json as read', async () => {
    const enc = await loadSentenceEncoder(memorySource(base), { dropout: 0.25 });
    expect(enc.dropout).toEqual({ hidden: 0.25, attention: 0.25 });
    expect(enc.model.config.hidden_dropout_prob).toBe(0.25);
    expect(enc.modelConfig.hidden_dropout_prob).toBe(0.1);
    expect(enc.sourceId).toBe('mem-model');
    enc.dispose();
    const plain = await loadSentenceEncoder(memorySource(base));
    expect(plain.dropout).toEqual({ hidden: 0.1, attention: 0.1 });
    plain.dispose();
  });

  it('names unsupported model types and lists the supported ones', async () => {
    await expect(loadSentenceEncoder(memorySource(withConfig({ model_type: 'roberta' })))).rejects.toThrow(
      /mem-model\/config\.json: model_type "roberta" is not supported \(supported model types: bert, clip, xlm-roberta\)/,
    );
    await expect(loadSentenceEncoder(memorySource(withConfig({ model_type: undefined })))).rejects.toThrow(/config\.json: has no "model_type".*bert/);
  });

  it('asks for safetensors when only pytorch_model.bin is present', async () => {
    const files = new Map(base);
    files.delete('model.safetensors');
    files.set('pytorch_model.bin', new Uint8Array([0x50, 0x4b]));
    await expect(loadSentenceEncoder(memorySource(files))).rejects.toThrow(/only pytorch_model\.bin found.*model\.safetensors/);
    files.delete('pytorch_model.bin');
    await expect(loadSentenceEncoder(memorySource(files))).rejects.toThrow(/model\.safetensors not found/);
  });

  it('loads bert.-prefixed checkpoints and warns about tensors it does not use', async () => {
    const tensors = readSafetensors(base.get('model.safetensors') as Uint8Array);
    const prefixed = new Map([...tensors].map(([n, t]) => [`bert.${n}`, t]));
    prefixed.set('cls.predictions.bias', { shape: [4], data: new Float32Array(4) });
    prefixed.set('bert.embeddings.position_ids', { shape: [1, 4], data: new Float32Array([0, 1, 2, 3]) });
    const files = new Map(base);
    files.set('model.safetensors', writeSafetensors(prefixed));
    const warnings: string[] = [];
    const enc = await loadSentenceEncoder(memorySource(files), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/model\.safetensors: ignored 1 tensor\(s\) that are not part of BertModel: cls\.predictions\.bias/);
    const w = (await enc.model.exportWeights()).get('encoder.layer.1.output.dense.weight')!;
    expect(maxAbsDiff(w.data, tensors.get('encoder.layer.1.output.dense.weight')!.data)).toBe(0);
    enc.dispose();
  });
});
