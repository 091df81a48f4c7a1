import type { Command } from 'commander';
import { loadSentenceEncoder } from '../../training/families/registry.ts';
import { usingForward } from '../forward.ts';
import type { EvaluationResult } from '../../training/eval/evaluator.ts';
import { resolveModelSource } from '../folderSource.ts';
import { CliError } from '../cliError.ts';
import { evaluationInputs, evalOptions } from './evalSetup.ts';
import { evaluateAtDims, evaluateVariants, type VariantFlags } from './evalVariants.ts';
import { Bm25Index, type Bm25Options } from '../../training/eval/bm25.ts';
import type { HybridOptions } from '../../training/eval/hybridRanking.ts';
import { evaluateRanking } from '../../training/eval/rankingEvaluation.ts';
import { CorpusVectors } from '../../training/eval/corpusVectors.ts';
import { reportedEvaluation } from '../pipeline/evaluation.ts';
import { parseNumber } from '../cliError.ts';
import { imageEvaluation, loadClipModel } from '../pipeline/clipInputs.ts';

interface EvalCommandFlags extends VariantFlags {
  baseline?: string;
  hybrid?: string;
  hybridWeight?: string;
  rrfK?: string;
  bm25K1?: string;
  bm25B?: string;
  json?: boolean;
  images?: string;
  batchSize?: string;
}

/** Text→image retrieval of a CLIP model: the queries through the text tower against the products' images. */
async function evaluateClip(o: EvalCommandFlags & { model: string; images: string }): Promise<EvaluationResult> {
  const encoder = await loadClipModel(o.model);
  try {
    const evaluation = await imageEvaluation(
      { corpus: o.corpus!, judgments: o.judgments!, images: o.images, k: o.k, relevance: o.relevance, batchSize: o.batchSize },
      encoder.imageConfig,
    );
    return await evaluation.evaluate(encoder);
  } finally {
    encoder.dispose();
  }
}

interface Rankers {
  /** BM25 is ranked (as the baseline, or as the hybrid's lexical side) */
  bm25: boolean;
  hybrid?: HybridOptions;
}

/** The model's metrics, and on the same corpus BM25's and the hybrid's when asked for (one corpus pass). */
async function evaluateText(o: EvalCommandFlags, rankers: Rankers): Promise<Compared> {
  const inputs = (await evaluationInputs(o))!;
  const { corpus, judgments, metrics } = inputs;
  const bm25 = rankers.bm25 && new Bm25Index(corpus.texts, bm25Flags(o));
  const out: Compared = {};
  if (bm25) out.bm25 = await evaluateRanking({ kind: 'bm25' }, bm25, corpus.ids, judgments, metrics);
  if (!o.model) return out;
  const encoder = await loadSentenceEncoder(await resolveModelSource(o.model), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  try {
    return await usingForward(encoder, async (forward) => {
      const index = new CorpusVectors(forward, corpus.ids, corpus.texts);
      out.model = await reportedEvaluation('corpus', (onProgress) => index.evaluate(judgments, metrics, { onProgress }));
      if (bm25 && rankers.hybrid) {
        const source = { kind: 'hybrid', dense: index, hybrid: rankers.hybrid } as const;
        out.hybrid = await evaluateRanking(source, bm25, corpus.ids, judgments, metrics);
      }
      return out;
    });
  } finally {
    encoder.dispose();
  }
}

interface Compared {
  bm25?: EvaluationResult;
  model?: EvaluationResult;
  hybrid?: EvaluationResult;
}

function bm25Flags(o: EvalCommandFlags): Bm25Options {
  const opts = {
    k1: o.bm25K1 === undefined ? undefined : parseNumber(o.bm25K1, '--bm25-k1', { min: 0 }),
    b: o.bm25B === undefined ? undefined : parseNumber(o.bm25B, '--bm25-b', { min: 0 }),
  };
  if (opts.b !== undefined && opts.b > 1) throw new CliError(`--bm25-b must be between 0 and 1, got ${opts.b}`);
  return opts;
}

function rankersFromFlags(o: EvalCommandFlags): Rankers {
  if (o.baseline !== undefined && o.baseline !== 'bm25') throw new CliError(`--baseline must be bm25, got "${o.baseline}"`);
  if (o.hybrid !== undefined && o.hybrid !== 'rrf' && o.hybrid !== 'mix') throw new CliError(`--hybrid must be rrf or mix, got "${o.hybrid}"`);
  if (o.hybrid && !o.model) throw new CliError('--hybrid fuses a model with BM25: give --model');
  if (!o.model && !o.baseline) throw new CliError('eval needs --model (or --baseline bm25 for BM25 alone)');
  if ((o.baseline || o.hybrid) && o.images)
    throw new CliError('--baseline and --hybrid rank product texts; with --images use the lab, which shows BM25 beside CLIP');
  const hybrid: HybridOptions | undefined = o.hybrid && {
    fusion: o.hybrid,
    weight: o.hybridWeight === undefined ? undefined : parseNumber(o.hybridWeight, '--hybrid-weight'),
    rrfK: o.rrfK === undefined ? undefined : parseNumber(o.rrfK, '--rrf-k', { min: 0 }),
  };
  return { bm25: Boolean(o.baseline || hybrid), hybrid };
}

export function evalCommand(program: Command) {
  const cmd = program
    .command('eval')
    .description(
      'retrieval metrics (nDCG@k, MRR@k, Recall@10/100, MAP@100) of a model on a corpus with judgments, beside BM25 and a BM25 + model hybrid when asked; with --images, text→image retrieval of a CLIP model',
    )
    .option('--model <dir|hub id>', 'model folder or Hub id')
    .option('--baseline <bm25>', "also rank with BM25 (Solr's defaults) over the same product texts")
    .option('--hybrid <rrf|mix>', 'also rank with BM25 fused with the model: reciprocal-rank fusion (k 60) or normalized BM25 + w · cosine')
    .option('--hybrid-weight <w>', 'mix: the weight w of the cosine (default 1)')
    .option('--rrf-k <k>', 'rrf: the rank constant (default 60)')
    .option('--bm25-k1 <k1>', 'BM25 term-frequency saturation (default 1.2)')
    .option('--bm25-b <b>', 'BM25 length normalization (default 0.75)')
    .option('--images <dir>', "CLIP: rank the products' images (named <product id>.jpg/.png/.webp/.gif) instead of their texts")
    .option('--batch-size <n>', 'CLIP: images per forward pass (default 32)')
    .option('--dims <list>', 'Matryoshka: the metrics at each of these truncated dimensions (e.g. 384,256,128,64), from one embedding pass')
    .option(
      '--variants',
      'the trade-off table before shipping: WiSE-FT alpha × ONNX dtype × dimension, with nDCG, Recall@100, Solr vector bytes, model size, texts/s and cosine to float32',
    )
    .option('--dtypes <list>', 'variants: the ONNX dtypes (fp32, q8, int8, uint8, fp16)', 'fp32,q8,int8,fp16')
    .option('--wise-alphas <list>', 'variants: WiSE-FT alphas (default 1, or 0.5,0.75,1 with --wise-base)')
    .option('--wise-base <dir|hub id>', 'variants: the model the fine-tune started from, for alphas below 1')
    .option('--json', 'print {"metrics", "queries"} as JSON (and "bm25", "hybrid" when asked for; {"dims"} with --dims, {"rows"} with --variants)');
  evalOptions(cmd, '').action(async (o: EvalCommandFlags) => {
    if (!o.corpus || !o.judgments) throw new CliError('eval needs --corpus <file> and --judgments <file.csv>');
    if (o.variants || o.dims) {
      if (o.images || o.baseline || o.hybrid)
        throw new CliError('--dims and --variants evaluate a text model alone: drop --images, --baseline and --hybrid');
      return o.variants ? evaluateVariants(o) : evaluateAtDims(o);
    }
    const rankers = rankersFromFlags(o);
    const compared: Compared = o.images ? { model: await evaluateClip({ ...o, model: o.model!, images: o.images }) } : await evaluateText(o, rankers);
    const all: [string, EvaluationResult | undefined][] = [
      ['bm25', compared.bm25],
      ['model', compared.model],
      [`hybrid (${o.hybrid})`, compared.hybrid],
    ];
    const columns = all.filter((c): c is [string, EvaluationResult] => c[1] !== undefined);
    if (o.json) {
      const body = (r?: EvaluationResult) => r && { metrics: r.metrics, queries: r.queries };
      const hybrid = compared.hybrid && { ...rankers.hybrid, ...body(compared.hybrid) };
      process.stdout.write(`${JSON.stringify({ ...body(compared.model), bm25: body(compared.bm25), hybrid }, null, 1)}\n`);
      return;
    }
    const names = Object.keys(columns[0]![1].metrics);
    if (columns.length > 1 || columns[0]![0] !== 'model')
      process.stdout.write(`${'metric'.padEnd(12)} ${columns.map(([n]) => n.padStart(12)).join(' ')}\n`);
    for (const name of names) {
      const values = columns.map(([, r]) => r.metrics[name]!.toFixed(4));
      process.stdout.write(
        `${name.padEnd(12)} ${columns.length > 1 || columns[0]![0] !== 'model' ? values.map((v) => v.padStart(12)).join(' ') : values[0]}\n`,
      );
    }
    process.stdout.write(`(${columns[0]![1].queries.length} queries with at least one relevant product)\n`);
  });
}
