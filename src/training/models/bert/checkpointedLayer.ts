import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './bertConfig.ts';
import type { DropoutState, ParamGetter } from '../../nn/layers.ts';
import { bertLayer } from './bertLayer.ts';

const layerParams = [
  'attention.self.query',
  'attention.self.key',
  'attention.self.value',
  'attention.output.dense',
  'intermediate.dense',
  'output.dense',
]
  .flatMap((n) => [`${n}.weight`, `${n}.bias`])
  .concat(['attention.output.LayerNorm', 'output.LayerNorm'].flatMap((n) => [`${n}.weight`, `${n}.bias`]));

/**
 * bertLayer with gradient checkpointing: one tape node whose gradient re-runs the layer forward and
 * differentiates it locally. tfjs keeps every intermediate gradient of a tape until the whole backward
 * pass ends (tape.js never disposes a node's dy), so a MiniLM-L6 step at batch 32 x 32 tokens needed over
 * 4 GB and overflowed the wasm heap; per-layer recomputation bounds that to one layer's backward, for
 * about one extra forward pass. Dropout seeds drawn in the forward are replayed so both runs agree.
 */
export function checkpointedBertLayer(
  h: tf.Tensor3D,
  maskAdd: tf.Tensor,
  c: BertConfig,
  p: ParamGetter,
  prefix: string,
  d: DropoutState | null,
): tf.Tensor3D {
  const names = layerParams.map((n) => `${prefix}.${n}`);
  const seeds: (string | number)[] = [];
  const recording: DropoutState | null = d && {
    hidden: d.hidden,
    attention: d.attention,
    // an unseeded mask must still be replayable, so draw a seed here
    next: () => {
      const s = d.next() ?? `${Math.random()}`;
      seeds.push(s);
      return s;
    },
  };
  const run = (x: tf.Tensor, mask: tf.Tensor, ps: tf.Tensor[], dd: DropoutState | null) => {
    const get: ParamGetter = (name) => {
      const i = names.indexOf(name);
      if (i < 0) throw new Error(`checkpointed layer: no parameter "${name}"`);
      return ps[i]!;
    };
    return bertLayer(x as tf.Tensor3D, mask, c, get, prefix, dd);
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, mask, ...ps] = args as tf.Tensor[];
    save([x!, mask!, ...ps]);
    return {
      value: run(x!, mask!, ps, recording),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ms, ...pss] = saved;
        let i = 0;
        const replay: DropoutState | null = d && { hidden: d.hidden, attention: d.attention, next: () => seeds[i++] };
        // A gradients() call made during the outer backward pass (gradientDepth 0) replaces the engine's
        // active tape and clears it when done; the outer pass still needs it to dispose its saved tensors.
        const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
        const outerTape = state.activeTape;
        let grads: tf.Tensor[];
        try {
          grads = tf.grads((...inputs: tf.Tensor[]) => run(inputs[0]!, ms!, inputs.slice(1), replay))([xs!, ...pss], dy);
        } finally {
          state.activeTape = outerTape;
        }
        return [grads[0]!, tf.zerosLike(ms!), ...grads.slice(1)];
      },
    };
  });
  return f(h, maskAdd, ...names.map(p)) as tf.Tensor3D;
}
