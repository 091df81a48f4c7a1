import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';

/**
 * Analytic FLOPs (multiply-adds count 2) of the useful work, so achieved GFLOP/s compare across engines whatever
 * they recompute: per token and layer the Q/K/V/output projections (8h²), the FFN (4·h·i) and attention's QKᵀ
 * and ·V (4·S·h); embeddings, LayerNorm, softmax and pooling are left out (<1 %).
 */
export function encodeFlops(c: BertConfig, batch: number, seq: number): number {
  const h = c.hidden_size;
  const perTokenLayer = 8 * h * h + 4 * h * c.intermediate_size + 4 * seq * h;
  return batch * seq * c.num_hidden_layers * perTokenLayer;
}

/** One MNRL step: two towers, each forward once and backward (twice the forward's FLOPs). */
export const trainStepFlops = (c: BertConfig, batch: number, seq: number) => 3 * 2 * encodeFlops(c, batch, seq);
