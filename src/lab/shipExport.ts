/**
 * The lab download of the trade-off table's chosen row: the tuned weights moved to θ(α) (WiSE-FT, against a
 * fresh copy of the base model), the Matryoshka dimension set on the encoder, and the chosen ONNX variant
 * added beside the float32 graph; the held encoder is put back exactly as it was afterwards.
 */
import type { FamilyEncoder, ModelFamily } from '../training/families/family.ts';
import type { ModelFiles } from '../training/export/modelFiles.ts';
import { addOnnxVariants } from '../training/export/onnxVariants.ts';
import { applyWiseFt, checkWiseAlpha, snapshotParams } from '../training/models/wiseFt.ts';
import { checkTruncateDim } from '../training/models/truncateDim.ts';
import type { ShipChoice } from './api/variantsRequest.ts';

interface Truncatable {
  config: { truncateDim?: number };
  model: { config: { hidden_size: number } };
}

export async function shipFiles(
  family: ModelFamily,
  encoder: FamilyEncoder,
  ship: ShipChoice,
  loadBase: () => Promise<FamilyEncoder>,
  exportFiles: () => Promise<ModelFiles>,
): Promise<ModelFiles> {
  const alpha = ship.wiseAlpha === undefined ? 1 : checkWiseAlpha(ship.wiseAlpha, 'WiSE-FT α');
  const t = encoder as unknown as Truncatable;
  const cut = ship.truncateDim !== undefined && ship.truncateDim !== t.model?.config?.hidden_size;
  if (cut && family.task !== 'text') throw new Error(`a ${family.name} model has no Matryoshka dimension to cut`);
  const config = cut ? t.config : undefined;
  let saved: ReturnType<typeof snapshotParams> | undefined;
  let base: FamilyEncoder | undefined;
  try {
    if (alpha !== 1) {
      base = await loadBase();
      saved = snapshotParams(encoder.model.params);
      applyWiseFt(encoder.model.params, base.model.params, alpha);
    }
    if (cut) t.config = { ...config, truncateDim: checkTruncateDim(ship.truncateDim, t.model.config.hidden_size, 'dimension') };
    const files = await exportFiles();
    if (ship.dtype && ship.dtype !== 'fp32') addOnnxVariants(files, [ship.dtype]);
    return files;
  } finally {
    if (config) t.config = config;
    saved?.dispose();
    base?.dispose();
  }
}
