import { Rng } from '../random/rng.ts';

/** Where a run is in its data: enough to regenerate the same batches after a resume. */
export interface BatchCursorState {
  /** 0-based epoch of the batch most recently handed out (or the first epoch before any) */
  epoch: number;
  /** batches of that epoch already handed out */
  batchInEpoch: number;
  /** shuffle RNG state before this epoch's permutation was drawn */
  rngState: number;
}

/**
 * Batches of row indices with drop_last false. Without shuffle every epoch is file order; with shuffle
 * each epoch draws a fresh permutation from one seeded Rng, whose state at the epoch start is all a
 * checkpoint needs to continue the same sequence.
 *
 * With `keys` (sentence-transformers' NoDuplicatesBatchSampler) an epoch's order is cut greedily into
 * batches in which no two rows share a key (a text of any column): a row that would repeat one waits for a
 * later batch. An epoch can then have more batches than ceil(rows / batch), as in sentence-transformers,
 * whose step count also assumes ceil(rows / batch); the arrangement is a pure function of the permutation,
 * so a resume rebuilds it.
 */
export class BatchCursor {
  private readonly rng: Rng;
  private order: number[] | null = null;
  /** the epoch's batches when keys are given */
  private batches: number[][] | null = null;
  private epochStartState: number;
  epoch = 0;
  batchInEpoch = 0;

  constructor(
    readonly numRows: number,
    readonly batchSize: number,
    readonly shuffle: boolean,
    seed: number,
    private readonly keys?: (row: number) => readonly string[],
  ) {
    if (numRows < 1) throw new Error('no training rows');
    this.rng = new Rng(seed);
    this.epochStartState = this.rng.getState();
  }

  get batchesPerEpoch(): number {
    return this.batches?.length ?? Math.ceil(this.numRows / this.batchSize);
  }

  /** fractional epoch like HF's state.epoch: epochs completed plus the part of this one done */
  get progress(): number {
    return this.epoch + this.batchInEpoch / this.batchesPerEpoch;
  }

  private startEpoch(): void {
    this.epochStartState = this.rng.getState();
    this.order = this.shuffle ? this.rng.permutation(this.numRows) : Array.from({ length: this.numRows }, (_, i) => i);
    if (this.keys) this.batches = noDuplicateBatches(this.order, this.batchSize, this.keys);
  }

  next(): number[] {
    if (this.order === null) {
      this.startEpoch();
    } else if (this.batchInEpoch >= this.batchesPerEpoch) {
      this.epoch += 1;
      this.batchInEpoch = 0;
      this.startEpoch();
    }
    const start = this.batchInEpoch * this.batchSize;
    this.batchInEpoch += 1;
    return this.batches ? this.batches[this.batchInEpoch - 1]! : this.order!.slice(start, start + this.batchSize);
  }

  getState(): BatchCursorState {
    return { epoch: this.epoch, batchInEpoch: this.batchInEpoch, rngState: this.epochStartState };
  }

  setState(s: BatchCursorState): void {
    this.epoch = s.epoch;
    this.batchInEpoch = s.batchInEpoch;
    this.rng.setState(s.rngState);
    this.epochStartState = s.rngState;
    this.order = null;
    this.batches = null;
    if (s.batchInEpoch > 0) this.startEpoch();
  }
}

/**
 * NoDuplicatesBatchSampler's arrangement: walk the remaining rows in order, take a row when none of its keys
 * is in the batch yet, close the batch at `size` (or when the walk ends), repeat until every row is placed.
 */
export function noDuplicateBatches(order: readonly number[], size: number, keys: (row: number) => readonly string[]): number[][] {
  const remaining = [...order];
  const out: number[][] = [];
  while (remaining.length) {
    const batch: number[] = [];
    const seen = new Set<string>();
    const left: number[] = [];
    for (const r of remaining) {
      const k = keys(r);
      if (batch.length < size && !k.some((x) => seen.has(x))) {
        batch.push(r);
        for (const x of k) seen.add(x);
      } else left.push(r);
    }
    out.push(batch);
    remaining.splice(0, remaining.length, ...left);
  }
  return out;
}
