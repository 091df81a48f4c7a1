import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { parseBertConfig, bertDefaults } from '../../../src/training/models/bert/bertConfig.ts';
import { bertParamSpecs } from '../../../src/training/models/bert/bertWeights.ts';
import { loadSentenceConfig } from '../../../src/training/models/sentenceConfig.ts';
import { loadTokenizer } from '../../../src/training/models/tokenizer.ts';
import { initModel } from '../../../src/training/init/initModel.ts';
import { sentenceTransformersFiles } from '../../../src/training/export/sentenceFiles.ts';
import { readJson } from '../../../src/training/source/modelSource.ts';
import { readSafetensors } from '../../../src/training/weights/safetensors.ts';
import { makeTinyModel, memorySource, tinyCorpus } from '../../helpers/fixtures.ts';

describe('initModel', () => {
  it('writes a folder that loads back: config, tokenizer, weights, sentence-transformers files', async () => {
    const dir = await makeTinyModel();
    const source = folderSource(dir);
    const raw = await readJson(source, 'config.json');
    expect(raw).toMatchObject({
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 128,
      max_position_embeddings: 128,
    });
    const cfg = parseBertConfig(raw);
    const tok = await loadTokenizer(source);
    expect(cfg.vocab_size).toBe(tok.files['vocab.txt'].trimEnd().split('\n').length);
    expect(cfg.vocab_size).toBeGreaterThan(200);
    expect(tok.modelMaxLength).toBe(128);
    const e = tok.encode(tinyCorpus, 128);
    expect(Math.max(...e.inputIds)).toBeLessThan(cfg.vocab_size);
    expect([...e.inputIds]).not.toContain(1); // every corpus word is covered by the learned vocabulary

    const weights = readSafetensors(new Uint8Array(await source.readBytes('model.safetensors')));
    const specs = bertParamSpecs(cfg);
    expect([...weights.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    for (const s of specs) expect(weights.get(s.name)!.shape).toEqual(s.shape);
    const pad = weights.get('embeddings.word_embeddings.weight')!.data.subarray(0, 32);
    expect(pad.every((v) => v === 0)).toBe(true);
    expect(weights.get('encoder.layer.0.output.LayerNorm.bias')!.data.some((v) => v !== 0)).toBe(true); // perturbAll

    expect(await loadSentenceConfig(source, cfg, tok.modelMaxLength)).toEqual({ maxSeqLength: 128, pooling: 'mean', normalize: true });
    expect((await stat(path.join(dir, '2_Normalize'))).isDirectory()).toBe(true);
    expect(await readdir(path.join(dir, '2_Normalize'))).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([
      '1_Pooling',
      '2_Normalize',
      'config.json',
      'config_sentence_transformers.json',
      'model.safetensors',
      'modules.json',
      'sentence_bert_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
  });

  it('is seeded and honours the size options', () => {
    const opts = { texts: tinyCorpus, hidden: 16, layers: 1, heads: 2, vocabSize: 150, maxSeqLength: 200 };
    const a = initModel(opts);
    const weightBytes = (f: ReturnType<typeof initModel>) => Buffer.from(f.get('model.safetensors') as Uint8Array);
    expect(weightBytes(initModel(opts)).equals(weightBytes(a))).toBe(true);
    expect(weightBytes(initModel({ ...opts, seed: 1 })).equals(weightBytes(a))).toBe(false);
    const cfg = JSON.parse(a.get('config.json') as string);
    expect(cfg).toMatchObject({ hidden_size: 16, num_hidden_layers: 1, intermediate_size: 64, max_position_embeddings: 200 });
    expect(JSON.parse(a.get('tokenizer_config.json') as string).model_max_length).toBe(200);
    expect(JSON.parse(initModel({ ...opts, maxSeqLength: 64 }).get('config.json') as string).max_position_embeddings).toBe(128);
    expect(cfg.vocab_size).toBeLessThanOrEqual(150);
    expect(JSON.parse(a.get('sentence_bert_config.json') as string)).toEqual({ max_seq_length: 200, do_lower_case: false });
    expect(() => initModel({ ...opts, hidden: 18, heads: 4 })).toThrow(/hidden_size 18 is not a multiple of num_attention_heads 4/);
    expect(() => initModel({ texts: [' '] })).toThrow(/texts is empty/);
  });
});

describe('sentence-transformers config', () => {
  const cfg = { ...bertDefaults, max_position_embeddings: 512 };
  const st = (sc: Parameters<typeof sentenceTransformersFiles>[0]) => sentenceTransformersFiles(sc, 384);

  it('round-trips the files sentence-transformers writes', async () => {
    for (const sc of [
      { maxSeqLength: 256, pooling: 'mean', normalize: true },
      { maxSeqLength: 64, pooling: 'cls', normalize: false },
      { maxSeqLength: 32, pooling: 'max', normalize: false },
    ] as const) {
      const files = st(sc);
      expect(await loadSentenceConfig(memorySource(files), cfg)).toEqual(sc);
      expect(JSON.parse(files['1_Pooling/config.json'])).toMatchObject({ word_embedding_dimension: 384, include_prompt: true });
      expect(JSON.parse(files['modules.json']).map((m: { path: string }) => m.path)).toEqual(
        sc.normalize ? ['', '1_Pooling', '2_Normalize'] : ['', '1_Pooling'],
      );
    }
    expect(JSON.parse(st({ maxSeqLength: 8, pooling: 'mean', normalize: true })['config_sentence_transformers.json'])).toMatchObject({
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
    });
  });

  it('treats a plain transformers model like SentenceTransformer does (mean, no normalize, min of limits)', async () => {
    expect(await loadSentenceConfig(memorySource({}), cfg, 256)).toEqual({ maxSeqLength: 256, pooling: 'mean', normalize: false });
    expect(await loadSentenceConfig(memorySource({}), cfg)).toEqual({ maxSeqLength: 512, pooling: 'mean', normalize: false });
    const files = { ...st({ maxSeqLength: 1000, pooling: 'mean', normalize: false }) };
    expect((await loadSentenceConfig(memorySource(files), cfg)).maxSeqLength).toBe(512);
    delete (files as Record<string, string>)['sentence_bert_config.json'];
    expect((await loadSentenceConfig(memorySource(files), cfg, 300)).maxSeqLength).toBe(300);
  });

  it('names the file and field it cannot use', async () => {
    const files = st({ maxSeqLength: 128, pooling: 'mean', normalize: false });
    const pool = JSON.parse(files['1_Pooling/config.json']);
    const bad = (p: Record<string, unknown>) => memorySource({ ...files, '1_Pooling/config.json': JSON.stringify({ ...pool, ...p }) }, 'acme/m');
    await expect(loadSentenceConfig(bad({ pooling_mode_mean_tokens: false, pooling_mode_lasttoken: true }), cfg)).rejects.toThrow(
      /acme\/m\/1_Pooling\/config\.json: pooling_mode_lasttoken is not supported/,
    );
    await expect(loadSentenceConfig(bad({ pooling_mode_cls_token: true }), cfg)).rejects.toThrow(/1_Pooling\/config\.json: combined pooling modes/);
    await expect(loadSentenceConfig(bad({ pooling_mode_mean_tokens: false }), cfg)).rejects.toThrow(/1_Pooling\/config\.json: no pooling mode/);
    const modules = JSON.parse(files['modules.json']);
    modules.push({ idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' });
    await expect(loadSentenceConfig(memorySource({ ...files, 'modules.json': JSON.stringify(modules) }, 'acme/m'), cfg)).rejects.toThrow(
      /acme\/m\/modules\.json: module 2 type "sentence_transformers\.models\.Dense" is not supported/,
    );
    await expect(loadSentenceConfig(memorySource({ ...files, 'sentence_bert_config.json': '{"max_seq_length": -3}' }), cfg)).rejects.toThrow(
      /sentence_bert_config\.json: max_seq_length/,
    );
  });
});
