import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from '../optim/adamw.ts';
import type { BatchCursor } from './batches.ts';
import type { Checkpoint } from './checkpoint.ts';
import { lockFields, type TrainConfig } from './trainConfig.ts';
import type { TrainableEncoder } from './trainTypes.ts';

/** Puts weights, optimizer state and batch position back from `c`, after checking it belongs to this run. */
export function restoreCheckpoint<R>(
  encoder: TrainableEncoder<R>,
  opt: Optimizer,
  cursor: BatchCursor,
  c: Checkpoint,
  config: TrainConfig,
  numRows: number,
): void {
  if (c.numRows !== numRows) throw new Error(`resume: the checkpoint was trained on ${c.numRows} rows, this run has ${numRows}`);
  for (const k of ['batchSize', 'shuffle', 'seed', 'loss'] as const) {
    if (c.config[k] !== config[k]) throw new Error(`resume: ${k} is ${config[k]} but the checkpoint used ${c.config[k]}`);
  }
  // unset and false/0 mean the same (checkpoints from before locks existed have none)
  for (const k of ['noDuplicates', ...lockFields] as const) {
    const [was, is] = [c.config[k] || false, config[k] || false];
    if (was !== is) throw new Error(`resume: ${k} is ${is} but the checkpoint used ${was}`);
  }
  for (const [name, v] of encoder.model.params) {
    const t = c.weights.get(name);
    if (!t) throw new Error(`resume: checkpoint has no weights for "${name}"`);
    if (t.shape.join(',') !== v.shape.join(','))
      throw new Error(`resume: "${name}" has shape [${t.shape}] in the checkpoint, [${v.shape}] in the model`);
    tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, 'float32')));
  }
  opt.importState(c.optimizer);
  cursor.setState({ epoch: c.epoch, batchInEpoch: c.batchInEpoch, rngState: c.rngState });
}
