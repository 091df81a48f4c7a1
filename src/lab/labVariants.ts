/**
 * The Evaluate step's trade-off table and α slider, in the pipeline worker: the tuned slot's weights at each
 * WiSE-FT α (the baseline slot is the base), through each ONNX dtype's real graph on the worker's
 * onnxruntime, over the loaded corpus and judgments (eval/variantTable.ts does the measuring).
 */
import type { FamilyEncoder, ModelFamily } from '../training/families/family.ts';
import { wiseGraphs } from '../training/families/wiseGraphs.ts';
import { checkDims, defaultDims } from '../training/eval/dimensionEvaluation.ts';
import { variantTable } from '../training/eval/variantTable.ts';
import { onnxRuntime } from '../training/inference/onnxRuntime.ts';
import type { ProgressCallback } from './api/labApi.ts';
import type { VariantsRequest, VariantsResult } from './api/variantsRequest.ts';
import { pickJudgments, type LoadedLabData } from './labData.ts';

export interface VariantSlot {
  family: ModelFamily;
  encoder: FamilyEncoder;
  /** the embedding width */
  dim: number;
}

export async function measureVariants(
  data: LoadedLabData,
  tuned: VariantSlot | undefined,
  base: VariantSlot | undefined,
  req: VariantsRequest,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<VariantsResult> {
  if (!data.judgments) throw new Error('the trade-off table needs judgments: drop a judgments CSV in the Data step');
  if (!tuned) throw new Error('no fine-tuned model: finish a run in the Train step first');
  if (tuned.family.task !== 'text') throw new Error('the trade-off table measures text models; CLIP exports are compared in the CLI');
  const runtime = onnxRuntime();
  if (!runtime) throw new Error('the trade-off table runs the ONNX graphs, and this worker has no onnxruntime');
  const needsBase = req.alphas.some((a) => a !== 1);
  if (needsBase && !base) throw new Error('WiSE-FT α below 1 needs the base model: load it in the Configure step');
  const dims = checkDims(req.dims ?? defaultDims(tuned.dim), tuned.dim, 'dimensions');
  const graphs = wiseGraphs(tuned.family, tuned.encoder, needsBase ? base!.encoder : undefined, 'the base model');
  try {
    const rows = await variantTable(
      graphs.graph,
      runtime,
      { ids: data.ids, texts: data.texts },
      pickJudgments(data.judgments, req.queries),
      { k: req.k ?? 10, relevanceThreshold: req.relevanceThreshold ?? 2 },
      { alphas: req.alphas, dtypes: req.dtypes, dims },
      {
        signal,
        onProgress: (p) => onProgress?.({ phase: 'embed-corpus', done: p.done, total: p.total, unit: 'items', detail: p.variant }),
      },
    );
    return { rows, engine: runtime.name };
  } finally {
    graphs.dispose();
  }
}
