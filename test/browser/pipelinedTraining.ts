import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { initModel } from '../../src/training/init/initModel.ts';
import { memoryFiles } from '../../src/lab/modelSources.ts';
import { loadSentenceEncoder } from '../../src/training/families/registry.ts';
import type { SentenceEncoder } from '../../src/training/models/sentenceEncoder.ts';
import type { TrainRow } from '../../src/training/data/trainRows.ts';
import { train } from '../../src/training/train/trainLoop.ts';
import type { TrainEvent, TrainHooks, TrainResult } from '../../src/training/train/trainTypes.ts';

/**
 * The training loop on webgpu, where it builds step n+1 while step n's loss and norm are read back
 * (WebGpuAdamW is `pipelined`), against the same loop made to read every step at once (an evaluation after
 * each step is a boundary the loop never runs ahead of).
 */
const texts = [
  'trail running shoes for men, lightweight mesh',
  'wireless headphones with noise cancelling',
  'stainless steel water bottle for kids 500 ml',
  'espresso coffee machine with milk frother',
  'leather wallet for men with coin pocket',
  'usb c charging cable 2 m braided',
  'yoga mat non slip 6 mm',
  'ceramic coffee mug 350 ml',
];
const rows: TrainRow[] = ['running shoes', 'headphones', 'kids bottle', 'coffee machine', 'wallet', 'usb cable', 'yoga mat', 'mug'].map(
  (query, i) => ({ query, positive: texts[i]! }),
);
const files = initModel({ texts, hidden: 32, layers: 2, heads: 4, vocabSize: 200, perturbAll: true });
const config = { loss: 'mnrl', batchSize: 4, steps: 8, lr: 1e-3, dropout: 0.1, seed: 5, shuffle: true } as const;

export async function useWebGpu(): Promise<string> {
  await tf.setBackend('webgpu');
  await tf.ready();
  return tf.getBackend();
}

/** The weights as they are now: clones share the data, so later assigns don't change what is read. */
async function snapshot(enc: SentenceEncoder): Promise<Record<string, number[]>> {
  const held = [...enc.model.params].map(([k, v]) => [k, tf.clone(v)] as const);
  const out: Record<string, number[]> = {};
  for (const [k, t] of held) {
    out[k] = Array.from(await t.data());
    t.dispose();
  }
  return out;
}

export interface LoopRun {
  result: Pick<TrainResult, 'step' | 'stopped' | 'losses'>;
  message?: string;
  /** the weights when the event of step 2 arrived, and at the end */
  atStep2: Record<string, number[]>;
  atStep3?: Record<string, number[]>;
  final: Record<string, number[]>;
  leaked: number;
}

async function run(mode: 'pipelined' | 'each step read' | 'poisoned'): Promise<LoopRun> {
  const before = tf.memory().numTensors;
  const enc = await loadSentenceEncoder(memoryFiles(files, 'tiny'), { dropout: 0.1 });
  const seen: Promise<void>[] = [];
  const got: Partial<Record<'atStep2' | 'atStep3', Record<string, number[]>>> = {};
  let message: string | undefined;
  const hooks: TrainHooks = {
    onEvent: (e: TrainEvent) => {
      if (e.type === 'stopped') message = e.message;
      if (e.type !== 'step' || (e.step !== 2 && e.step !== 3)) return;
      const key = e.step === 2 ? 'atStep2' : 'atStep3';
      seen.push(snapshot(enc).then((s) => void (got[key] = s)));
      if (mode === 'poisoned' && e.step === 2) {
        const word = enc.model.params.get('embeddings.word_embeddings.weight')!;
        tf.tidy(() => word.assign(word.mul(NaN)));
      }
    },
  };
  if (mode === 'each step read') hooks.evaluate = async () => ({});
  const result = await train(enc, rows, mode === 'each step read' ? { ...config, evalEverySteps: 1 } : config, hooks);
  await Promise.all(seen);
  const final = await snapshot(enc);
  enc.dispose();
  return {
    result: { step: result.step, stopped: result.stopped, losses: result.losses },
    message,
    atStep2: got.atStep2!,
    atStep3: got.atStep3,
    final,
    leaked: tf.memory().numTensors - before,
  };
}

export async function loopRuns(): Promise<Record<'pipelined' | 'eachStep' | 'poisoned', LoopRun>> {
  return { pipelined: await run('pipelined'), eachStep: await run('each step read'), poisoned: await run('poisoned') };
}
