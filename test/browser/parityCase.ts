import * as tf from '@tensorflow/tfjs';
import { bertDefaults, type BertConfig } from '../../src/training/models/bert/bertConfig.ts';
import { BertModel, type BertInputs } from '../../src/training/models/bert/bert.ts';
import { pool } from '../../src/training/models/pooling.ts';
import { mnrlFromEmbeddings } from '../../src/training/losses/mnrl.ts';
import { randomBertWeights } from '../../src/training/init/randomBert.ts';
import { Rng } from '../../src/training/random/rng.ts';
import { buildBertOnnx } from '../../src/training/export/bertOnnx.ts';
import { int64Feed, type OnnxRuntime } from '../../src/training/inference/onnxRuntime.ts';

/**
 * One cross-backend parity case, imported both by the Node test (wasm) and by the browser page (webgpu):
 * the same seeded weights and token ids on both sides, so any difference comes from the backend's kernels.
 * Results are read with the async data() (synchronous readback is unreliable on webgpu).
 */

export const parityConfig: BertConfig = {
  ...bertDefaults,
  vocab_size: 97,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
};

export const PARITY_SEED = 1234;
const BATCH = 4;
const SEQ = 10;

/** [CLS] tokens [SEP] [PAD]..., with a different length per row so masking matters. */
export function tokenBatch(rng: Rng): BertInputs {
  const ids = new Int32Array(BATCH * SEQ);
  const mask = new Int32Array(BATCH * SEQ);
  const types = new Int32Array(BATCH * SEQ);
  for (let b = 0; b < BATCH; b++) {
    const len = SEQ - ((b * 3) % 6);
    for (let s = 0; s < len; s++) {
      ids[b * SEQ + s] = s === 0 ? 1 : s === len - 1 ? 2 : 3 + rng.int(parityConfig.vocab_size - 3);
      mask[b * SEQ + s] = 1;
      types[b * SEQ + s] = s >= len / 2 ? 1 : 0;
    }
  }
  return {
    inputIds: tf.tensor2d(ids, [BATCH, SEQ], 'int32'),
    attentionMask: tf.tensor2d(mask, [BATCH, SEQ], 'int32'),
    tokenTypeIds: tf.tensor2d(types, [BATCH, SEQ], 'int32'),
  };
}

function makeModel(seed: number): BertModel {
  return BertModel.fromWeights(parityConfig, randomBertWeights(parityConfig, { seed, perturbAll: true }));
}

function disposeInputs(x: BertInputs): void {
  tf.dispose([x.inputIds, x.attentionMask, x.tokenTypeIds]);
}

export interface ForwardResult {
  shape: number[];
  hidden: number[];
}

/** last_hidden_state of the tiny perturbed BERT on one padded batch (inference mode). */
export async function parityForward(seed = PARITY_SEED): Promise<ForwardResult> {
  const model = makeModel(seed);
  const x = tokenBatch(new Rng(seed + 1));
  try {
    const h = model.forward(x, { training: false });
    const data = await h.data();
    h.dispose();
    return { shape: [...h.shape], hidden: Array.from(data) };
  } finally {
    disposeInputs(x);
    model.dispose();
  }
}

export interface GradResult {
  loss: number;
  grads: Record<string, number[]>;
}

/**
 * Gradients of one MNRL step (anchors, positives, hard negatives; mean pooling) w.r.t. every trainable
 * parameter. Dropout is on with a fixed seed: the masks are a hash of (seed, index) (random/dropoutMask.ts), the same on every backend.
 */
export async function parityGrads(seed = PARITY_SEED): Promise<GradResult> {
  const model = makeModel(seed);
  const rng = new Rng(seed + 2);
  const cols = [tokenBatch(rng), tokenBatch(rng), tokenBatch(rng)];
  const params = model.trainableParams();
  const names = [...params.keys()];
  try {
    const { value, grads } = tf.variableGrads(
      () => {
        const [a, p, n] = cols.map((x, i) =>
          pool(model.forward(x, { training: true, hiddenDropout: 0.1, attentionDropout: 0.1, seed: 7 + i }), x.attentionMask, 'mean'),
        );
        return mnrlFromEmbeddings(a!, p!, n!, 20);
      },
      names.map((n) => params.get(n)!),
    );
    const out: GradResult = { loss: (await value.data())[0]!, grads: {} };
    // variableGrads keys gradients by tf variable name; map them back through the parameter order
    const byVar = new Map(names.map((n) => [params.get(n)!.name, n]));
    for (const [varName, g] of Object.entries(grads)) out.grads[byVar.get(varName) ?? varName] = Array.from(await g.data());
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    cols.forEach(disposeInputs);
    model.dispose();
  }
}

export interface OnnxParityResult {
  runtime: string;
  /** max |onnxruntime − tfjs| over the normalized mean-pooled embeddings and over last_hidden_state */
  embeddingDiff: number;
  hiddenDiff: number;
  values: number;
}

/**
 * The tiny perturbed BERT's in-memory ONNX graph (the exporter's, mean pooling + Normalize) run on `runtime`
 * against this backend's tfjs forward: the check that inference on onnxruntime gives what training's model gives.
 */
export async function onnxParity(runtime: OnnxRuntime, seed = PARITY_SEED): Promise<OnnxParityResult> {
  const model = makeModel(seed);
  const x = tokenBatch(new Rng(seed + 1));
  try {
    const bytes = buildBertOnnx(parityConfig, await model.exportWeights(), { maxSeqLength: SEQ, pooling: 'mean', normalize: true });
    const session = await runtime.createSession(bytes);
    const [ids, mask, types] = await Promise.all([x.inputIds.data(), x.attentionMask.data(), x.tokenTypeIds.data()]);
    const dims = [BATCH, SEQ];
    const out = await session.run(
      {
        input_ids: int64Feed(ids as Int32Array, dims),
        attention_mask: int64Feed(mask as Int32Array, dims),
        token_type_ids: int64Feed(types as Int32Array, dims),
      },
      ['last_hidden_state', 'sentence_embedding'],
    );
    await session.release();
    const h = model.forward(x, { training: false });
    const e = tf.tidy(() => tf.div(pool(h, x.attentionMask, 'mean'), tf.norm(pool(h, x.attentionMask, 'mean'), 2, -1, true)));
    const [hRef, eRef] = await Promise.all([h.data(), e.data()]);
    tf.dispose([h, e]);
    const diff = (a: Float32Array, b: ArrayLike<number>) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    return {
      runtime: runtime.name,
      embeddingDiff: diff(out.sentence_embedding!.data, eRef),
      hiddenDiff: diff(out.last_hidden_state!.data, hRef),
      values: hRef.length,
    };
  } finally {
    disposeInputs(x);
    model.dispose();
  }
}
