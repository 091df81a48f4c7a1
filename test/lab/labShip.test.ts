import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { PipelineSession } from '../../src/lab/pipelineSession.ts';
import { TrainerSession, type TrainerRequest } from '../../src/lab/trainerSession.ts';
import { MemoryCheckpointStore } from '../../src/training/train/checkpoint.ts';
import { useOnnxRuntime } from '../../src/training/inference/onnxRuntime.ts';
import { nodeOnnxRuntime } from '../../src/cli/ortNodeRuntime.ts';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';
import type { DeviceLimits } from '../../src/training/families/estimate.ts';
import type { LabData, VariantRow } from '../../src/lab/api/labApi.ts';
import { products, trainRows } from '../helpers/cliFixture.ts';

/**
 * The Evaluate step's "Choose what to ship" on the real sessions: the trade-off table's α 0 and α 1 rows are
 * the baseline's and the tuned slot's own evaluations, and the download of a chosen row carries θ(α), the
 * chosen ONNX variant and the Matryoshka dimension, leaving the held model as it was.
 */
const wasm: DeviceLimits = { backend: 'wasm' };
const scratch = { kind: 'scratch', hidden: 32, layers: 1, heads: 2, vocabSize: 300, maxSeqLength: 32, seed: 5 } as const;
const data: LabData = {
  corpus: [
    { name: 'p.jsonl', bytes: new TextEncoder().encode(products.map(([id, title, supplier]) => JSON.stringify({ id, title, supplier })).join('\n')) },
  ],
  template: '{title} {supplier}',
  judgments: {
    name: 'j.csv',
    text: 'query,docid,rating\ngaming mouse pad,p1,3\ngaming mouse pad,p5,3\nbluetooth speaker,p2,3\nbluetooth speaker,p6,2\noffice,p4,3\n',
  },
};

let session: PipelineSession;
let trainer: TrainerSession;
let req: TrainerRequest;
let tuned: Uint8Array;

beforeAll(async () => {
  useOnnxRuntime(nodeOnnxRuntime());
  session = new PipelineSession({ device: async () => wasm });
  session.setData(data);
  await session.loadModel('baseline', scratch);
  const rows = trainRows.map(([query, positive]) => ({ query: String(query), positive: String(positive) }));
  req = { model: session.resolve(scratch), rows, config: { loss: 'mnrl', batchSize: 3, steps: 3, lr: 1e-2, seed: 1, dropout: 0 } };
  trainer = new TrainerSession({ device: async () => wasm, checkpointStore: () => new MemoryCheckpointStore() });
  tuned = (await trainer.train('r', req)).weights;
  await session.setTuned(tuned.slice(), 'r', req.model);
});

afterAll(() => {
  useOnnxRuntime(undefined);
  session?.dispose();
  trainer?.dispose();
});

const close = (got: Record<string, number>, want: Record<string, number>) => {
  for (const [k, v] of Object.entries(want)) expect(got[k], k).toBeCloseTo(v, 6);
};

describe('choosing what to ship in the lab', () => {
  it('variants: α 0 is the baseline and α 1 the tuned slot, every dtype × dimension measured', async () => {
    const { rows, engine } = await session.variants({ alphas: [0, 1], dtypes: ['fp32', 'int8'], dims: [16, 32] });
    expect(engine).toMatch(/onnxruntime-node/);
    expect(rows.map((r: VariantRow) => `${r.alpha} ${r.dtype} ${r.dim}`)).toEqual([
      '0 fp32 32',
      '0 fp32 16',
      '0 int8 32',
      '0 int8 16',
      '1 fp32 32',
      '1 fp32 16',
      '1 int8 32',
      '1 int8 16',
    ]);
    close(rows[0]!.metrics, (await session.evaluate({ which: 'baseline' })).metrics);
    close(rows[4]!.metrics, (await session.evaluate({ which: 'tuned' })).metrics);
    expect(rows[6]!.minCosine).toBeGreaterThan(0.95);
    expect(rows[6]!.modelBytes).toBeLessThan(rows[4]!.modelBytes);
    // the held tuned model is unchanged: its own evaluation still equals the α 1 row
    close((await session.evaluate({ which: 'tuned' })).metrics, rows[4]!.metrics);
    await expect(session.variants({ alphas: [1], dtypes: ['fp32'], dims: [64] })).rejects.toThrow(
      /dimensions: 64 is not an integer from 1 to the model's width 32/,
    );
  });

  it('the download follows the chosen row: θ(0.5), the int8 graph, 16 dimensions; the held weights stay the tuned ones', async () => {
    const zip = unzipSync(await trainer.exportZip('r', req, { name: 'm', ship: { wiseAlpha: 0.5, dtype: 'int8', truncateDim: 16 } }));
    expect(Object.keys(zip)).toEqual(expect.arrayContaining(['m/onnx/model.onnx', 'm/onnx/model_int8.onnx']));
    expect(JSON.parse(strFromU8(zip['m/config_sentence_transformers.json']!)).truncate_dim).toBe(16);
    expect(strFromU8(zip['m/README.md']!)).toMatch(/WiSE-FT[\s\S]*α = 0\.5/);
    const base = readSafetensors((req.model as { files: Map<string, Uint8Array> }).files.get('model.safetensors')!);
    const [t, half] = [readSafetensors(tuned), readSafetensors(zip['m/model.safetensors']!)];
    let worst = 0;
    for (const [name, b] of base) {
      const [x, m] = [t.get(name)!.data, half.get(name)!.data];
      for (let i = 0; i < m.length; i++) worst = Math.max(worst, Math.abs(m[i]! - (0.5 * b.data[i]! + 0.5 * x[i]!)));
    }
    expect(worst).toBeLessThan(1e-6);
    const plain = unzipSync(await trainer.exportZip('r', req, { name: 'm' }));
    expect(Buffer.from(plain['m/model.safetensors']!).equals(Buffer.from(tuned))).toBe(true);
    expect(JSON.parse(strFromU8(plain['m/config_sentence_transformers.json']!)).truncate_dim).toBeUndefined();
    expect(Object.keys(plain)).not.toContain('m/onnx/model_int8.onnx');
  });
});
