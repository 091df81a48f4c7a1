import * as tf from '@tensorflow/tfjs';

/**
 * HF Trainer's `load_best_model_at_end` with `metric_for_best_model` (greater is better) and its
 * EarlyStoppingCallback (`early_stopping_patience`, `early_stopping_threshold`), over the loop's periodic
 * evaluations, which should score a validation split and never the judgments the final numbers come from.
 *   - best: the evaluation with the highest metric (strictly higher replaces it); its weights are copied;
 *   - patience: evaluations in a row that did not beat the best so far by more than the threshold; the
 *     run stops when they reach `patience`;
 *   - at the end the best weights are put back, exactly as they were copied.
 */
export interface BestModelOptions {
  /** the metrics key compared; default ndcg@10 */
  metric?: string;
  /** copy the best evaluation's weights and restore them at the end */
  loadBest?: boolean;
  /** stop after this many evaluations without improvement; unset: never */
  patience?: number;
  /** an improvement must exceed this; default 0 */
  threshold?: number;
}

export interface BestModel {
  step: number;
  metric: string;
  value: number;
}

export class BestModelTracker {
  readonly metric: string;
  best?: BestModel;
  /** evaluations since the last one that improved by more than the threshold */
  stale = 0;
  private weights?: Map<string, tf.Tensor>;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly opts: BestModelOptions,
  ) {
    this.metric = opts.metric ?? 'ndcg@10';
  }

  /** Records an evaluation; true when the run should stop (patience exhausted). */
  observe(step: number, metrics: Record<string, number>): boolean {
    const value = metrics[this.metric];
    if (value === undefined || !Number.isFinite(value)) {
      throw new Error(
        `the evaluation at step ${step} has no "${this.metric}" to pick the best model by (it has: ${Object.keys(metrics).join(', ') || 'nothing'})`,
      );
    }
    const prev = this.best?.value;
    const improved = prev === undefined || (value > prev && value - prev > (this.opts.threshold ?? 0));
    this.stale = improved ? 0 : this.stale + 1;
    if (prev === undefined || value > prev) {
      this.best = { step, metric: this.metric, value };
      if (this.opts.loadBest) this.copy();
    }
    return this.opts.patience !== undefined && this.stale >= this.opts.patience;
  }

  /** Puts the best evaluation's weights back; false when there is nothing to restore. */
  restore(): boolean {
    if (!this.weights) return false;
    for (const [name, v] of this.params) v.assign(this.weights.get(name)!);
    return true;
  }

  dispose(): void {
    if (this.weights) tf.dispose([...this.weights.values()]);
    this.weights = undefined;
  }

  private copy() {
    this.dispose();
    // clones share the data; later assigns to the variables give them new data, so these stay as they are
    this.weights = new Map([...this.params].map(([name, v]) => [name, tf.clone(v)]));
  }
}
