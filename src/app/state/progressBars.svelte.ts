/** The progress bars of long steps (download bytes, mining, cross-encoder scoring, training, evaluation). */
import type { Progress, ProgressPhase } from '../../lab/api/labApi.ts';

export interface Bar {
  key: string;
  label: string;
  done: number;
  total?: number;
  unit: 'bytes' | 'items' | 'steps';
  detail?: string;
  finished: boolean;
}

export const phaseLabels: Record<ProgressPhase, string> = {
  download: 'Downloading model files',
  load: 'Loading the model',
  queries: 'Generating queries',
  'embed-corpus': 'Embedding the corpus',
  'embed-queries': 'Embedding the queries',
  mine: 'Mining hard negatives',
  'cross-encoder': 'Scoring pairs with the cross-encoder',
  rows: 'Building training rows',
  evaluate: 'Evaluating',
  export: 'Exporting',
  images: 'Loading the product images',
  'embed-images': 'Embedding the product images',
};

export class ProgressBars {
  bars = $state<Bar[]>([]);

  set(key: string, label: string, done: number, total: number | undefined, unit: Bar['unit'], detail?: string): void {
    const i = this.bars.findIndex((b) => b.key === key);
    const bar: Bar = {
      key,
      label,
      done,
      unit,
      finished: total !== undefined && done >= total,
      ...(total !== undefined && { total }),
      ...(detail && { detail }),
    };
    if (i < 0) this.bars.push(bar);
    else this.bars[i] = bar;
  }

  /** a worker progress report; `prefix` separates e.g. the baseline's evaluation from the tuned model's */
  report(p: Progress, prefix = '', labelSuffix = ''): void {
    this.set(`${prefix}${p.phase}`, `${phaseLabels[p.phase] ?? p.phase}${labelSuffix}`, p.done, p.total, p.unit, p.detail);
  }

  finish(key: string): void {
    const b = this.bars.find((x) => x.key === key);
    if (b) {
      b.finished = true;
      if (b.total !== undefined) b.done = b.total;
    }
  }

  finishAll(): void {
    for (const b of this.bars) this.finish(b.key);
  }

  clear(): void {
    this.bars = [];
  }
}
