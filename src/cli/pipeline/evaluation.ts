/** A retrieval evaluation with progress on stderr, shared by `eval`, `train` and `gpl`. */
import type { Judgments } from '../../training/data/judgments.ts';
import type { EvaluationResult, TextEncoderLike } from '../../training/eval/evaluator.ts';
import { RetrievalEvaluator, type RetrievalCorpus } from '../../training/eval/retrievalEvaluator.ts';
import { progressReporter } from '../progress.ts';

export interface CliEvaluation {
  evaluate(encoder: TextEncoderLike): Promise<EvaluationResult>;
}

export function cliEvaluation(corpus: RetrievalCorpus, judgments: Judgments, opts: { k: number; relevanceThreshold: number }): CliEvaluation {
  const evaluator = new RetrievalEvaluator(corpus, judgments, opts);
  return {
    async evaluate(encoder) {
      const report = {
        corpus: progressReporter('eval: embed corpus'),
        queries: progressReporter('eval: embed queries'),
        search: progressReporter('eval: search'),
      };
      const result = await evaluator.evaluate(encoder, { onProgress: (p) => report[p.phase](p.done, p.total) });
      for (const w of result.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      return result;
    },
  };
}
