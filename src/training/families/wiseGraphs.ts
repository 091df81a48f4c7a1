/**
 * WiSE-FT graphs for forward-only inference: the family's float32 ONNX graph of θ(α) = (1 − α)·base + α·tuned
 * for any α, built on the tuned encoder's own variables (no second model in memory besides the base and one
 * copy of the tuned weights). The variant table and the lab's α slider embed through these.
 */
import type { OnnxTextGraph } from '../inference/onnxTextEncoder.ts';
import { applyWiseFt, snapshotParams } from '../models/wiseFt.ts';
import type { FamilyEncoder, ModelFamily } from './family.ts';

export interface WiseGraphs {
  /** the graph at α; without a base only α = 1 (the tuned model) exists */
  graph(alpha: number): Promise<OnnxTextGraph>;
  /** puts the tuned weights back and frees the copy */
  dispose(): void;
}

export function wiseGraphs<E extends FamilyEncoder>(family: ModelFamily<E>, tuned: E, base?: E, baseName?: string): WiseGraphs {
  const build = family.onnxTextGraph;
  if (!build) throw new Error(`the ${family.name} family builds no ONNX graph, so its variants cannot be measured`);
  const snapshot = snapshotParams(tuned.model.params);
  const restore = snapshot.restore;
  return {
    async graph(alpha) {
      if (alpha !== 1 && !base) throw new Error(`WiSE-FT α ${alpha} needs the base model the fine-tune started from`);
      restore();
      if (base) applyWiseFt(tuned.model.params, base.model.params, alpha, baseName);
      try {
        return await build(tuned);
      } finally {
        restore();
      }
    },
    dispose: snapshot.dispose,
  };
}
