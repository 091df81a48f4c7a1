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
 */
export class BatchCursor {
  private readonly rng: Rng;
  private order: number[] | null = null;
  private epochStartState: number;
  epoch = 0;
  batchInEpoch = 0;

  constructor(
    readonly numRows: number,
    readonly batchSize: number,
    readonly shuffle: boolean,
    seed: number,
  ) {
    if (numRows < 1) throw new Error('no training rows');
    this.rng = new Rng(seed);
    this.epochStartState = this.rng.getState();
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.numRows / this.batchSize);
  }

  /** fractional epoch like HF's state.epoch: epochs completed plus the part of this one done */
  get progress(): number {
    return this.epoch + this.batchInEpoch / this.batchesPerEpoch;
  }

  private startEpoch(): void {
    this.epochStartState = this.rng.getState();
    this.order = this.shuffle ? this.rng.permutation(this.numRows) : Array.from({ length: this.numRows }, (_, i) => i);
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
    return this.order!.slice(start, start + this.batchSize);
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
    if (s.batchInEpoch > 0) this.startEpoch();
  }
}
