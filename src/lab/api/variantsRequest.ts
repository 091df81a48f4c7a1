/**
 * Choosing what to ship (the Evaluate step): the trade-off table's request and rows, and the row a download
 * follows. The pipeline worker measures; the trainer worker exports the chosen row.
 */
import type { OnnxDtype } from '../../training/export/onnxVariants.ts';
import type { VariantRow } from '../../training/eval/variantTable.ts';

export type { OnnxDtype } from '../../training/export/onnxVariants.ts';
export type { VariantRow } from '../../training/eval/variantTable.ts';

export interface VariantsRequest {
  /** WiSE-FT α values (1 = the fine-tuned model as trained; below 1 needs the base model loaded) */
  alphas: number[];
  dtypes: OnnxDtype[];
  /** Matryoshka dimensions; default the model's width and 256/128/64 below it */
  dims?: number[];
  /** only these judged queries; default all */
  queries?: string[];
  k?: number;
  relevanceThreshold?: number;
}

export interface VariantsResult {
  rows: VariantRow[];
  /** the onnxruntime that ran the graphs (e.g. "onnxruntime-web wasm, 4 threads") */
  engine: string;
}

/** The candidate a download follows; each field absent = the fine-tuned model as trained, float32, full width. */
export interface ShipChoice {
  wiseAlpha?: number;
  dtype?: OnnxDtype;
  truncateDim?: number;
}
