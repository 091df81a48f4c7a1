import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AutoTokenizer } from '@huggingface/transformers';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { writeModelFiles } from '../../../src/cli/writeModelFiles.ts';
import type { TrainRow } from '../../../src/training/data/trainRows.ts';
import type { ModelFamily } from '../../../src/training/families/family.ts';
import { familyOf } from '../../../src/training/families/registry.ts';
import { createLoss } from '../../../src/training/losses/registry.ts';
import { l2normalize, pool } from '../../../src/training/models/pooling.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { train } from '../../../src/training/train/trainLoop.ts';
import { checkOnnxModel, decodeModel, maxAbsDiff } from '../../helpers/onnx.ts';
import { int64Tensor, int64WebTensor, runOnnx, runOnnxWeb } from '../../helpers/ortSession.ts';
import { autoModelEmbeddings, featureExtraction, listFiles, removeFolder, sentenceFiles, transformersJsRoot } from '../../helpers/transformersJs.ts';
import { makeTinyXlmRoberta, multilingualCorpus } from '../../helpers/xlmRobertaFixture.ts';

const texts = ['Rote Laufschuhe für Herren', 'mug', 'Кофемашина эспрессо', 'ステンレス製 水筒', 'usb c cable, 2m braided and fast'];
const flat = (r: Float32Array[]) => Float32Array.from(r.flatMap((x) => [...x]));
let root = '';
let family: ModelFamily;
let encoder: SentenceEncoder;

/** last_hidden_state and the pooled (normalized) embeddings of the tfjs encoder for one tokenized batch. */
function tfjsOutputs(enc: SentenceEncoder, batchTexts: string[]) {
  const b = enc.tokenizer.encode(batchTexts, enc.config.maxSeqLength);
  const inputs = enc.toInputs(b);
  const hidden = enc.model.forward(inputs, { training: false });
  const sentence = l2normalize(pool(hidden, inputs.attentionMask, enc.config.pooling));
  const out = { batch: b, hidden: hidden.dataSync() as Float32Array, sentence: sentence.dataSync() as Float32Array };
  tf.dispose([hidden, sentence, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  return out;
}

async function ortOutputs(file: string, b: ReturnType<SentenceEncoder['tokenizer']['encode']>) {
  const t = (a: Int32Array) => int64Tensor(a, [b.batchSize, b.seqLen]);
  const out = await runOnnx(file, { input_ids: t(b.inputIds), attention_mask: t(b.attentionMask) }, (session) =>
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']),
  );
  return { hidden: out.last_hidden_state!.data as Float32Array, sentence: out.sentence_embedding!.data as Float32Array };
}

async function exportTo(name: string, enc: SentenceEncoder): Promise<string> {
  const dir = path.join(root, name);
  await writeModelFiles(dir, await family.exportFiles(enc, { baseModel: 'tiny-xlm-roberta' }));
  return dir;
}

beforeAll(async () => {
  root = await transformersJsRoot('ftlab-xlmr-export-');
  const source = folderSource(await makeTinyXlmRoberta());
  family = await familyOf(source);
  encoder = (await family.load(source, { dropout: 0 })) as SentenceEncoder;
});
afterAll(async () => {
  encoder?.dispose();
  await removeFolder(root);
});

describe('XLM-RoBERTa export', () => {
  it('writes an XLMRobertaModel folder whose ONNX (input_ids, attention_mask) matches tfjs in onnxruntime', async () => {
    const dir = await exportTo('xlmr-folder', encoder);
    expect(await listFiles(dir)).toEqual(expect.arrayContaining(sentenceFiles));
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ architectures: ['XLMRobertaModel'], model_type: 'xlm-roberta', pad_token_id: 1, type_vocab_size: 1 });
    const bytes = new Uint8Array(await readFile(path.join(dir, 'onnx', 'model.onnx')));
    expect(checkOnnxModel(bytes)).toEqual([]);
    expect(decodeModel(bytes).graph.output.map((o) => o.name)).toEqual(['last_hidden_state', 'sentence_embedding']);

    const ours = tfjsOutputs(encoder, texts);
    expect(ours.batch.attentionMask.includes(0)).toBe(true);
    const onnx = await ortOutputs(path.join(dir, 'onnx', 'model.onnx'), ours.batch);
    const diffs = { hidden: maxAbsDiff(onnx.hidden, ours.hidden), sentence: maxAbsDiff(onnx.sentence, ours.sentence) };
    console.log(`xlm-roberta onnxruntime vs tfjs: ${JSON.stringify(diffs)}`);
    expect(diffs.hidden).toBeLessThan(1e-5);
    expect(diffs.sentence).toBeLessThan(1e-5);
  });

  it('runs in onnxruntime-web (the WASM runtime transformers.js uses in browsers)', async () => {
    const ours = tfjsOutputs(encoder, texts);
    const model = new Uint8Array(await readFile(path.join(root, 'xlmr-folder', 'onnx', 'model.onnx')));
    const t = (a: Int32Array) => int64WebTensor(a, [ours.batch.batchSize, ours.batch.seqLen]);
    const out = await runOnnxWeb(model, { input_ids: t(ours.batch.inputIds), attention_mask: t(ours.batch.attentionMask) });
    expect(maxAbsDiff(out.last_hidden_state!.data as Float32Array, ours.hidden)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.sentence_embedding!.data as Float32Array, ours.sentence)).toBeLessThan(1e-5);
  });

  it('loads in transformers.js: identical token ids, feature-extraction and AutoModel match tfjs', async () => {
    const ours = encoder.tokenizer.encode(texts, encoder.config.maxSeqLength);
    const tokenizer = await AutoTokenizer.from_pretrained('xlmr-folder');
    const theirs = tokenizer(texts, { padding: true, truncation: true });
    expect([...(theirs.input_ids.data as BigInt64Array)].map(Number)).toEqual([...ours.inputIds]);
    expect([...(theirs.attention_mask.data as BigInt64Array)].map(Number)).toEqual([...ours.attentionMask]);

    const expected = flat(await encoder.encode(texts));
    const out = await featureExtraction('xlmr-folder', texts, { pooling: 'mean', normalize: true });
    expect(out.dims).toEqual([texts.length, 32]);
    const pipelineDiff = maxAbsDiff(out.data, expected);
    const autoDiff = maxAbsDiff(await autoModelEmbeddings('xlmr-folder', texts), expected);
    console.log(`xlm-roberta transformers.js vs tfjs: feature-extraction ${pipelineDiff.toExponential(2)}, AutoModel ${autoDiff.toExponential(2)}`);
    expect(pipelineDiff).toBeLessThan(1e-5);
    expect(autoDiff).toBeLessThan(1e-5);
  });
});

const rows: TrainRow[] = [
  ['running shoes', 'Red running shoes for men, size 42'],
  ['Laufschuhe', 'Rote Laufschuhe für Herren, Größe 42'],
  ['chaussures course', 'Chaussures de course rouges pour homme, pointure 42'],
  ['кофемашина', 'Кофемашина эспрессо с капучинатором'],
  ['水筒', 'ステンレス製 水筒 750ml'],
  ['Kopfhörer', 'Kabellose Kopfhörer mit Geräuschunterdrückung'],
  ['gourde', 'Gourde isotherme en acier inoxydable'],
  ['usb c cable', 'USB-C charging cable 2m braided'],
].map(([query, positive]) => ({ query: query!, positive: positive! }));

describe('XLM-RoBERTa training', () => {
  it('lowers the MNRL loss through the training loop; the export reloads bit-identically and its ONNX follows', async () => {
    const source = folderSource(await makeTinyXlmRoberta());
    const enc = (await family.load(source, { dropout: 0 })) as SentenceEncoder;
    try {
      const loss = () => tf.tidy(() => createLoss('mnrl').compute(enc, rows, { training: false, seed: 0 }).dataSync()[0]!);
      const before = loss();
      const res = await train(family.trainable(enc) as SentenceEncoder, rows, {
        loss: 'mnrl',
        batchSize: 4,
        steps: 12,
        lr: 2e-3,
        warmupSteps: 2,
        seed: 3,
      });
      const after = loss();
      console.log(`xlm-roberta mnrl: ${before.toFixed(4)} -> ${after.toFixed(4)} over ${res.step} steps`);
      expect(res.step).toBe(12);
      expect(after).toBeLessThan(before * 0.7);

      const dir = await exportTo('xlmr-trained', enc);
      const again = (await family.load(folderSource(dir))) as SentenceEncoder;
      try {
        for (const [name, v] of enc.model.params) expect(maxAbsDiff(again.model.params.get(name)!.dataSync(), v.dataSync())).toBe(0);
        expect(again.config).toEqual(enc.config);
        expect(maxAbsDiff(flat(await again.encode(multilingualCorpus)), flat(await enc.encode(multilingualCorpus)))).toBe(0);
      } finally {
        again.dispose();
      }
      const ours = tfjsOutputs(enc, texts);
      expect(maxAbsDiff((await ortOutputs(path.join(dir, 'onnx', 'model.onnx'), ours.batch)).sentence, ours.sentence)).toBeLessThan(1e-5);
    } finally {
      enc.dispose();
    }
  });

  it('builds an offline model from scratch through the registry', async () => {
    const { scratchFamily } = await import('../../../src/training/families/registry.ts');
    const builder = scratchFamily('scratch-xlm-roberta');
    expect(builder?.name).toBe('xlm-roberta');
    const built = builder!.scratch!.build({ hidden: 32, layers: 1, heads: 2, vocabSize: 200, maxSeqLength: 16, seed: 1 }, multilingualCorpus);
    expect(built.id).toBe('scratch-xlm-roberta-h32-l1-v200-s1');
    const again = builder!.scratch!.build({ hidden: 32, layers: 1, heads: 2, vocabSize: 200, maxSeqLength: 16, seed: 1 }, multilingualCorpus);
    expect(again.files.get('tokenizer.json')).toBe(built.files.get('tokenizer.json'));
    const dir = path.join(root, 'scratch');
    await writeModelFiles(dir, built.files);
    const enc = (await builder!.load(folderSource(dir))) as SentenceEncoder;
    try {
      expect(JSON.parse(built.files.get('tokenizer.json') as string).model.vocab.length).toBeLessThanOrEqual(200);
      expect((await enc.encode(['Laufschuhe']))[0]!.length).toBe(32);
    } finally {
      enc.dispose();
    }
  });
});
