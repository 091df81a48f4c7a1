/**
 * What the download ships (Evaluate step): the WiSE-FT α slider, re-evaluated on the pipeline worker's fast
 * ONNX path at each α, and the trade-off table of α × dtype × dimension, one of whose rows the user picks.
 * The zip and the Chorus snippets follow the choice.
 */
import type { LabClient, ModelInfo, OnnxDtype, ShipChoice, VariantRow } from '../../lab/api/labApi.ts';
import { errorMessage } from '../lib/format.ts';

export const shipDtypes: OnnxDtype[] = ['fp32', 'q8', 'int8', 'fp16'];

export class ShipState {
  alpha = $state(1);
  /** the fine-tuned model at `alpha` (float32, full width); null until the slider moves */
  atAlpha = $state.raw<VariantRow | null>(null);
  evaluatingAlpha = $state(false);
  rows = $state.raw<VariantRow[]>([]);
  measuring = $state(false);
  engine = $state<string | null>(null);
  error = $state<string | null>(null);
  /** index into rows of the chosen candidate; null = the fine-tuned model as trained (float32, full width) at `alpha` */
  chosen = $state<number | null>(null);

  choice = $derived.by<ShipChoice>(() => {
    const row = this.chosen === null ? undefined : this.rows[this.chosen];
    const alpha = row?.alpha ?? this.alpha;
    return {
      ...(alpha !== 1 && { wiseAlpha: alpha }),
      ...(row && row.dtype !== 'fp32' && { dtype: row.dtype }),
      ...(row && this.model && row.dim !== this.model.dim && { truncateDim: row.dim }),
    };
  });
  /** the vector width the Chorus snippets use */
  dim = $derived(this.choice.truncateDim ?? this.model?.dim ?? 0);

  constructor(
    private readonly client: LabClient,
    private readonly modelOf: () => ModelInfo | null,
    private readonly queriesOf: () => string[] | undefined,
  ) {}

  private get model(): ModelInfo | null {
    return this.modelOf();
  }

  reset(): void {
    this.alpha = 1;
    this.atAlpha = null;
    this.rows = [];
    this.chosen = null;
    this.error = null;
    this.engine = null;
  }

  /** Moves the slider: α in [0, 1], re-evaluated (the last move wins when several overlap). */
  async setAlpha(alpha: number): Promise<void> {
    if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1 || !this.model) return;
    this.alpha = alpha;
    this.chosen = null;
    this.evaluatingAlpha = true;
    this.error = null;
    try {
      const queries = this.queriesOf();
      const r = await this.client.variants({ alphas: [alpha], dtypes: ['fp32'], dims: [this.model.dim], ...(queries && { queries }) });
      if (this.alpha === alpha) this.atAlpha = r.rows[0] ?? null;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      if (this.alpha === alpha) this.evaluatingAlpha = false;
    }
  }

  /** The table: the slider's α and α 1, every shipped dtype, the model's width and its Matryoshka prefixes. */
  async measure(): Promise<void> {
    if (!this.model) return;
    this.measuring = true;
    this.error = null;
    try {
      const queries = this.queriesOf();
      const alphas = [...new Set([this.alpha, 1])];
      const r = await this.client.variants({ alphas, dtypes: shipDtypes, ...(queries && { queries }) });
      this.rows = r.rows;
      this.engine = r.engine;
      this.chosen = null;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.measuring = false;
    }
  }

  choose(index: number | null): void {
    this.chosen = index === null || index < 0 || index >= this.rows.length ? null : index;
  }
}
