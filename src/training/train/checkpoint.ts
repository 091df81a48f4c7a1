import { readSafetensors, writeSafetensors, type TensorMap } from '../weights/safetensors.ts';
import type { AdamWState } from '../optim/adamw.ts';
import type { TrainConfig } from './trainConfig.ts';

/** Everything needed to continue a run exactly where it stopped. */
export interface Checkpoint {
  /** optimizer updates completed */
  step: number;
  /** data position: see BatchCursorState */
  epoch: number;
  batchInEpoch: number;
  rngState: number;
  weights: TensorMap;
  optimizer: AdamWState;
  config: TrainConfig;
  /** rows the run was started with; a resume with a different count would replay different batches */
  numRows: number;
}

export interface CheckpointStore {
  save(c: Checkpoint): Promise<void>;
  loadLatest(): Promise<Checkpoint | undefined>;
}

export interface SerializedCheckpoint {
  json: string;
  tensors: Uint8Array;
}

const FORMAT = 'ftlab-checkpoint-1';
const prefixes = { weights: 'weights/', m: 'optimizer.m/', v: 'optimizer.v/' } as const;

/** Tensors go to one safetensors blob under prefixed names; the rest is JSON. */
export function serializeCheckpoint(c: Checkpoint): SerializedCheckpoint {
  const all: TensorMap = new Map();
  for (const [name, t] of c.weights) all.set(prefixes.weights + name, t);
  for (const [name, t] of c.optimizer.m) all.set(prefixes.m + name, t);
  for (const [name, t] of c.optimizer.v) all.set(prefixes.v + name, t);
  const meta = {
    format: FORMAT,
    step: c.step,
    epoch: c.epoch,
    batchInEpoch: c.batchInEpoch,
    rngState: c.rngState,
    optimizerStep: c.optimizer.t,
    numRows: c.numRows,
    config: c.config,
  };
  return { json: JSON.stringify(meta, null, 2), tensors: writeSafetensors(all) };
}

export function deserializeCheckpoint(s: SerializedCheckpoint, source = 'checkpoint'): Checkpoint {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(s.json);
  } catch (e) {
    throw new Error(`${source}: checkpoint JSON is invalid (${(e as Error).message})`, { cause: e });
  }
  if (meta.format !== FORMAT) throw new Error(`${source}: not an ftlab checkpoint (format ${JSON.stringify(meta.format)}, expected ${FORMAT})`);
  for (const k of ['step', 'epoch', 'batchInEpoch', 'rngState', 'optimizerStep', 'numRows']) {
    if (typeof meta[k] !== 'number') throw new Error(`${source}: checkpoint field "${k}" is missing or not a number`);
  }
  const all = readSafetensors(s.tensors, { source: `${source} tensors` });
  const pick = (prefix: string): TensorMap =>
    new Map([...all].filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), { shape: t.shape, data: t.data }]));
  return {
    step: meta.step as number,
    epoch: meta.epoch as number,
    batchInEpoch: meta.batchInEpoch as number,
    rngState: meta.rngState as number,
    numRows: meta.numRows as number,
    config: meta.config as TrainConfig,
    weights: pick(prefixes.weights),
    optimizer: { t: meta.optimizerStep as number, m: pick(prefixes.m), v: pick(prefixes.v) },
  };
}

/**
 * Keeps serialized checkpoints in memory (tests, and the browser before IndexedDB persistence);
 * going through serialization means a resume test also covers the file format.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly saved: SerializedCheckpoint[] = [];

  constructor(private readonly keep = 2) {}

  async save(c: Checkpoint): Promise<void> {
    this.saved.push(serializeCheckpoint(c));
    while (this.saved.length > this.keep) this.saved.shift();
  }

  async loadLatest(): Promise<Checkpoint | undefined> {
    const last = this.saved.at(-1);
    return last && deserializeCheckpoint(last, 'memory checkpoint');
  }
}
