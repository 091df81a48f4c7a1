/** A retrieval evaluation with progress on stderr, shared by `eval`, `train` and `gpl` (and, for the reporting, CLIP's). */
import type { Judgments } from '../../training/data/judgments.ts';
import type { EvaluationProgress, EvaluationResult, TextEncoderLike } from '../../training/eval/evaluator.ts';
import { RetrievalEvaluator, type RetrievalCorpus } from '../../training/eval/retrievalEvaluator.ts';
import { progressReporter } from '../progress.ts';

export interface CliEvaluation {
  evaluate(encoder: TextEncoderLike): Promise<EvaluationResult>;
}

/** Runs an evaluation with its phases reported on stderr (`corpusItems`: what the corpus pass embeds), then prints its warnings. */
export async function reportedEvaluation(
  corpusItems: string,
  run: (onProgress: (p: EvaluationProgress) => void) => Promise<EvaluationResult>,
): Promise<EvaluationResult> {
  const report = {
    corpus: progressReporter(`eval: embed ${corpusItems}`),
    queries: progressReporter('eval: embed queries'),
    search: progressReporter('eval: search'),
  };
  const result = await run((p) => report[p.phase](p.done, p.total));
  for (const w of result.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  return result;
}

export function cliEvaluation(corpus: RetrievalCorpus, judgments: Judgments, opts: { k: number; relevanceThreshold: number }): CliEvaluation {
  const evaluator = new RetrievalEvaluator(corpus, judgments, opts);
  return { evaluate: (encoder) => reportedEvaluation('corpus', (onProgress) => evaluator.evaluate(encoder, { onProgress })) };
}
