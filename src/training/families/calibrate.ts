/**
 * The device's measured training speed, so the Configure estimate is this machine's and not a per-backend
 * guess: one MNRL step (forward with dropout and per-layer checkpointing, backward, clipping and the AdamW update
 * the training loop uses: the fused one on webgpu) of a random
 * model of the requested shape, timed after a warm-up step, divided into the estimate's own FLOP count of
 * that step. The rate is what the estimate then divides by, for any batch size and run length.
 */
import * as tf from '@tensorflow/tfjs';
import { bertDefaults, type BertConfig } from '../models/bert/bertConfig.ts';
import { BertModel, type BertInputs } from '../models/bert/bert.ts';
import { pool } from '../models/pooling.ts';
import { mnrlFromEmbeddings } from '../losses/mnrl.ts';
import { randomBertWeights } from '../init/randomBert.ts';
import { createAdamW } from '../optim/createAdamW.ts';
import { Rng } from '../random/rng.ts';
import { estimateSentenceRun } from './sentence/estimateSentence.ts';
import type { BackendName } from './estimate.ts';
import { isClipShape, type FamilyShape } from './shapes.ts';

export interface CalibrationRequest {
  model: FamilyShape;
  /** rows of the measured step (default 8: fewer rows than a real batch keep it short, and err on the slow side) */
  batchSize?: number;
  /** tokens per text; default the estimate's min(maxSeqLength, 64) */
  seqLen?: number;
  textsPerRow?: number;
}

export interface Calibration {
  backend: BackendName;
  flopsPerSecond: number;
  /** the measured step */
  stepSeconds: number;
  batchSize: number;
  seqLen: number;
}

function ids(rng: Rng, c: BertConfig, texts: number, seq: number): BertInputs {
  const data = Int32Array.from({ length: texts * seq }, () => 1 + rng.int(c.vocab_size - 1));
  return {
    inputIds: tf.tensor2d(data, [texts, seq], 'int32'),
    attentionMask: tf.ones([texts, seq], 'int32'),
    tokenTypeIds: tf.zeros([texts, seq], 'int32'),
  };
}

export async function calibrateTraining(req: CalibrationRequest, backend: BackendName, signal?: AbortSignal): Promise<Calibration> {
  if (isClipShape(req.model)) throw new Error('measuring the speed of CLIP runs is not supported yet: the estimate uses the backend default');
  const m = req.model;
  const rows = req.batchSize ?? 8;
  const textsPerRow = req.textsPerRow ?? 3;
  const S = Math.min(req.seqLen ?? Math.min(m.maxSeqLength, 64), m.maxSeqLength);
  const config: BertConfig = {
    ...bertDefaults,
    vocab_size: m.vocabSize,
    hidden_size: m.hidden,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    intermediate_size: m.intermediate,
    max_position_embeddings: Math.max(m.positions ?? 512, S),
    type_vocab_size: m.typeVocab ?? 2,
  };
  const model = BertModel.fromWeights(config, randomBertWeights(config, { seed: 7 }));
  const rng = new Rng(7);
  const columns = Array.from({ length: textsPerRow }, () => ids(rng, config, rows, S));
  const params = model.trainableParams();
  const byVar = new Map([...params].map(([name, v]) => [v.name, name]));
  const opt = createAdamW(params);
  const step = async (seed: number) => {
    const { value, grads } = tf.variableGrads(() => {
      const [a, p, n] = columns.map((x, i) => pool(model.forward(x, { training: true, seed: seed + i }), x.attentionMask, 'mean'));
      return mnrlFromEmbeddings(a!, p!, n ?? null, 20);
    }, [...params.values()]);
    // the update's readback waits for the whole step, as the training loop's does
    await opt.update(new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k) ?? k, g])), value, 1e-5, 1);
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    await step(0);
    signal?.throwIfAborted();
    const t = performance.now();
    await step(100);
    const stepSeconds = (performance.now() - t) / 1000;
    // the estimate's FLOPs of exactly this step: secondsPerStep at 1 FLOP/s
    const flops = estimateSentenceRun({ model: m, batchSize: rows, rows, seqLen: S, textsPerRow }, { backend, flopsPerSecond: 1 }).secondsPerStep;
    return { backend, flopsPerSecond: flops / stepSeconds, stepSeconds, batchSize: rows, seqLen: S };
  } finally {
    for (const x of columns) tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);
    opt.dispose();
    model.dispose();
  }
}
