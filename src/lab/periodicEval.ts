/**
 * Evaluation during a lab run (TrainRequest.evalEverySteps): the trainer worker embeds the corpus and the
 * judged queries with the weights being trained, every N steps. The data comes from the pipeline worker
 * (which parsed it) as an EvalSet, so the trainer needs no corpus parsing of its own.
 *
 * Two rules keep it out of the way of training:
 * - an evaluation cut short by Pause is dropped (no eval event), so pausing never waits for a whole corpus
 *   pass and the run still saves its checkpoint and resolves 'paused';
 * - only the scheduled steps are evaluated: the loop's extra evaluation at the last step is skipped because
 *   the lab evaluates the tuned model right after training anyway (the UI adds that as the last point).
 */
import { RetrievalEvaluator } from '../training/eval/retrievalEvaluator.ts';
import type { TextEncoderLike } from '../training/eval/evaluator.ts';
import type { ProgressCallback, TrainEvent } from './api/labApi.ts';
import type { EvalSet } from './api/workerMethods.ts';

export type { EvalSet } from './api/workerMethods.ts';

export interface PeriodicEvaluation {
  /** the training loop's `evaluate` hook */
  evaluate: (step: number) => Promise<Record<string, number>>;
  /** wraps the run's event callback, dropping the events of skipped evaluations */
  events: (onEvent?: (e: TrainEvent) => void) => (e: TrainEvent) => void;
}

const what = { corpus: 'embedding the corpus', queries: 'embedding the queries', search: 'ranking' } as const;

/**
 * Same metrics and defaults as the pipeline's evaluate (k 10, relevance threshold 2), so the points line up with it.
 * `snapshot` gives an encoder of the weights as they are now (onnxruntime over a fresh graph, or tfjs) for each
 * evaluation; it is released after it.
 */
export function periodicEvaluation(
  snapshot: () => TextEncoderLike & { release?(): Promise<void> },
  set: EvalSet,
  every: number,
  opts: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): PeriodicEvaluation {
  if (!Number.isInteger(every) || every < 1) throw new Error(`evalEverySteps must be a positive integer, got ${every}`);
  // validates up front (no judged query with a relevant doc → a clear error before training starts)
  const evaluator = new RetrievalEvaluator({ ids: set.ids, texts: set.texts }, set.judgments, { k: 10, relevanceThreshold: 2 });
  const skipped = new Set<number>();
  return {
    async evaluate(step) {
      if (step % every !== 0 || opts.signal?.aborted) {
        skipped.add(step);
        return {};
      }
      const encoder = snapshot();
      try {
        const r = await evaluator.evaluate(encoder, {
          signal: opts.signal,
          onProgress: (p) =>
            opts.onProgress?.({ phase: 'evaluate', done: p.done, total: p.total, unit: 'items', detail: `step ${step}: ${what[p.phase]}` }),
        });
        return r.metrics;
      } catch (e) {
        if (!opts.signal?.aborted) throw e;
        skipped.add(step);
        return {};
      } finally {
        await encoder.release?.();
      }
    },
    events: (onEvent) => (e) => {
      if (e.type === 'eval' && skipped.has(e.step)) return;
      onEvent?.(e);
    },
  };
}
