/**
 * This device's measured training speed per backend (with its thread count) and text-model shape (LabClient.calibrate), kept in
 * localStorage so a reload does not measure again; the Configure estimate divides by it instead of the
 * backend's rough default.
 */
import type { Calibration, FamilyShape, LabClient, TextShape } from '../../lab/api/labApi.ts';
import type { KeyValueStore } from '../lib/settings.ts';
import { errorMessage } from '../lib/format.ts';

const PREFIX = 'ftlab.speed.';

const shapeKey = (m: TextShape) => `${m.hidden}x${m.layers}x${m.heads}x${m.intermediate}x${m.vocabSize}`;
const isText = (m: FamilyShape): m is TextShape => !('vision' in m);

export class SpeedCalibration {
  measuring = $state(false);
  error = $state<string | null>(null);
  /** the last measurement, for the estimate card */
  last = $state<Calibration | null>(null);
  /** bumped when a rate is saved, so estimates re-run */
  version = $state(0);

  /** `backend`: the workers' backend as a cache key, e.g. "wasm·2t" (a different thread count is a different speed) */
  constructor(private readonly deps: { client: Pick<LabClient, 'calibrate'>; store?: KeyValueStore; backend: () => string | undefined }) {}

  /** the saved FLOP/s for this shape on the workers' backend, if it was measured */
  rateFor(shape: FamilyShape): number | undefined {
    const backend = this.deps.backend();
    if (!backend || !isText(shape)) return undefined;
    const v = Number(this.deps.store?.getItem(`${PREFIX}${backend}:${shapeKey(shape)}`));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  }

  async measure(shape: FamilyShape, opts: { seqLen?: number; textsPerRow?: number } = {}): Promise<boolean> {
    if (!isText(shape)) {
      this.error = 'Measuring the speed works for text models; CLIP estimates use the backend default.';
      return false;
    }
    this.measuring = true;
    this.error = null;
    const device = this.deps.backend();
    try {
      const c = await this.deps.client.calibrate({ model: shape, ...opts });
      this.deps.store?.setItem(`${PREFIX}${device ?? c.backend}:${shapeKey(shape)}`, String(c.flopsPerSecond));
      this.last = c;
      this.version++;
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      return false;
    } finally {
      this.measuring = false;
    }
  }
}
