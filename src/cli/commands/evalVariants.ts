/**
 * `ftlab eval --dims` (a Matryoshka model's metrics at each truncated dimension) and `ftlab eval --variants`
 * (the trade-off table: WiSE-FT α × ONNX dtype × dimension, with sizes, speed and cosine to float32).
 */
import { familyForType, loadSentenceEncoder } from '../../training/families/registry.ts';
import { wiseGraphs } from '../../training/families/wiseGraphs.ts';
import { checkDims, defaultDims, evaluateDimensions } from '../../training/eval/dimensionEvaluation.ts';
import { variantTable, type VariantRow } from '../../training/eval/variantTable.ts';
import { onnxRuntime } from '../../training/inference/onnxRuntime.ts';
import { parseOnnxDtypes, type OnnxDtype } from '../../training/export/onnxVariants.ts';
import { checkWiseAlpha } from '../../training/models/wiseFt.ts';
import type { SentenceEncoder } from '../../training/models/sentenceEncoder.ts';
import { resolveModelSource } from '../folderSource.ts';
import { usingForward } from '../forward.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { progressReporter } from '../progress.ts';
import { evaluationInputs, type EvalFlags } from './evalSetup.ts';

export interface VariantFlags extends EvalFlags {
  model?: string;
  dims?: string;
  variants?: boolean;
  dtypes?: string;
  wiseAlphas?: string;
  wiseBase?: string;
  json?: boolean;
}

const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);

function cliList<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

const numbers = (list: string, flag: string, integer: boolean) =>
  list
    .split(',')
    .filter((s) => s.trim())
    .map((s) => parseNumber(s.trim(), flag, { integer, min: 0 }));

/** The model at its full width: a Matryoshka export's truncate_dim would hide the larger prefixes. */
async function loadFullWidth(id: string): Promise<SentenceEncoder> {
  const encoder = await loadSentenceEncoder(await resolveModelSource(id), { onWarning });
  encoder.config = { ...encoder.config, truncateDim: undefined };
  return encoder;
}

async function inputs(o: VariantFlags) {
  if (!o.model) throw new CliError(`${o.variants ? '--variants' : '--dims'} needs --model`);
  return (await evaluationInputs(o))!;
}

/** `eval --dims`: one embedding pass, the metrics at every dimension. */
export async function evaluateAtDims(o: VariantFlags): Promise<void> {
  const { corpus, judgments, metrics } = await inputs(o);
  const encoder = await loadFullWidth(o.model!);
  try {
    const dims = cliList(() => checkDims(numbers(o.dims!, '--dims', true), encoder.model.config.hidden_size, '--dims'));
    const report = progressReporter('eval: embed corpus');
    const byDim = await usingForward(encoder, (forward) =>
      evaluateDimensions(forward, corpus, judgments, metrics, dims, { onProgress: (p) => p.phase === 'corpus' && report(p.done, p.total) }),
    );
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ dims: byDim.map(({ dim, result }) => ({ dim, metrics: result.metrics, queries: result.queries })) }, null, 1)}\n`,
      );
      return;
    }
    const names = Object.keys(byDim[0]!.result.metrics);
    process.stdout.write(`${'metric'.padEnd(12)} ${byDim.map(({ dim }) => `dim ${dim}`.padStart(10)).join(' ')}\n`);
    for (const n of names)
      process.stdout.write(`${n.padEnd(12)} ${byDim.map(({ result }) => result.metrics[n]!.toFixed(4).padStart(10)).join(' ')}\n`);
  } finally {
    encoder.dispose();
  }
}

/** `eval --variants`: the trade-off table, as text or (--json) as the rows the lab shows. */
export async function evaluateVariants(o: VariantFlags): Promise<void> {
  const { corpus, judgments, metrics } = await inputs(o);
  const runtime = onnxRuntime();
  if (!runtime) throw new CliError('--variants measures the ONNX graphs with onnxruntime: drop --no-onnx');
  const dtypes: OnnxDtype[] = cliList(() => parseOnnxDtypes(o.dtypes ?? 'fp32,q8,int8,fp16'));
  const alphas = cliList(() =>
    numbers(o.wiseAlphas ?? (o.wiseBase ? '0.5,0.75,1' : '1'), '--wise-alphas', false).map((a) => checkWiseAlpha(a, '--wise-alphas')),
  );
  if (!o.wiseBase && alphas.some((a) => a !== 1))
    throw new CliError('--wise-alphas other than 1 need --wise-base: the model the fine-tune started from');
  const tuned = await loadFullWidth(o.model!);
  const base = o.wiseBase === undefined ? undefined : await loadFullWidth(o.wiseBase);
  const graphs = cliList(() => wiseGraphs(familyForType(tuned.modelConfig.model_type), tuned, base, o.wiseBase));
  try {
    const hidden = tuned.model.config.hidden_size;
    const dims = cliList(() => checkDims(o.dims ? numbers(o.dims, '--dims', true) : defaultDims(hidden), hidden, '--dims'));
    const reporters = new Map<string, (done: number, total: number) => void>();
    const rows = await variantTable(
      graphs.graph,
      runtime,
      corpus,
      judgments,
      metrics,
      { alphas, dtypes, dims },
      {
        onProgress: (p) => {
          if (!reporters.has(p.variant)) reporters.set(p.variant, progressReporter(`variants: ${p.variant} embed corpus`));
          reporters.get(p.variant)!(p.done, p.total);
        },
      },
    );
    if (o.json) {
      const reference = 'cosine to the float32 graph of the same alpha, both cut to the row dimension';
      process.stdout.write(`${JSON.stringify({ model: o.model, base: o.wiseBase ?? null, engine: runtime.name, reference, rows }, null, 1)}\n`);
      return;
    }
    process.stdout.write(variantText(rows, metrics.k));
  } finally {
    graphs.dispose();
    tuned.dispose();
    base?.dispose();
  }
}

/** The table as aligned text, one row per candidate. */
export function variantText(rows: readonly VariantRow[], k: number): string {
  const head = ['alpha', 'dtype', 'dim', `ndcg@${k}`, 'recall@100', 'vector B', 'model MB', 'texts/s', 'cos mean', 'cos min'];
  const cells = rows.map((r) => [
    String(r.alpha),
    r.dtype,
    String(r.dim),
    r.metrics[`ndcg@${k}`]!.toFixed(4),
    r.metrics['recall@100']!.toFixed(4),
    String(r.vectorBytes),
    (r.modelBytes / 1e6).toFixed(2),
    r.textsPerSec.toFixed(0),
    r.meanCosine.toFixed(5),
    r.minCosine.toFixed(5),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => v.padStart(width[i]!)).join('  ')).join('\n') + '\n';
}
