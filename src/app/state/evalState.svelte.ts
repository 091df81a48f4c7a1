/**
 * Step 4: metrics before vs after beside BM25 and a hybrid of the fine-tuned model with BM25, the per-query
 * table sorted by change, the search playground (BM25, baseline and tuned top 10 side by side), the zip
 * download and the Chorus snippets for the model's width.
 */
import type { EvaluationResult, HybridChoice, LabClient, ModelInfo, SearchHit } from '../../lab/api/labApi.ts';
import { chorusSnippets, type Snippet } from '../lib/chorusSnippets.ts';
import { ShipState } from './shipState.svelte.ts';
import { clipSnippets } from '../lib/clipSnippets.ts';
import { errorMessage } from '../lib/format.ts';
import type { RunResults } from './trainState.svelte.ts';

export interface MetricRow {
  key: string;
  bm25?: number;
  before?: number;
  after?: number;
  delta?: number;
  hybrid?: number;
}

export interface QueryRow {
  query: string;
  numRelevant: number;
  bm25?: number;
  before?: number;
  after?: number;
  delta: number;
  hybrid?: number;
}

/** The rankings beside the two models: BM25 alone and the fine-tuned model fused with it. */
export interface Comparisons {
  bm25?: EvaluationResult | null;
  hybrid?: EvaluationResult | null;
}

export interface EvalDeps {
  client: LabClient;
  /** starts a browser download; injected so state stays testable */
  saveBlob: (blob: Blob, filename: string) => void;
}

export const metricOrder = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@100', 'map@100'];

export function metricRows(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
  more: { bm25?: Record<string, number>; hybrid?: Record<string, number> } = {},
): MetricRow[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  keys.sort((a, b) => (metricOrder.indexOf(a) + 1 || 99) - (metricOrder.indexOf(b) + 1 || 99) || a.localeCompare(b));
  return keys.map((key) => {
    const b = before?.[key];
    const a = after?.[key];
    return {
      key,
      ...(more.bm25?.[key] !== undefined && { bm25: more.bm25[key] }),
      ...(more.hybrid?.[key] !== undefined && { hybrid: more.hybrid[key] }),
      ...(b !== undefined && { before: b }),
      ...(a !== undefined && { after: a }),
      ...(a !== undefined && b !== undefined && { delta: a - b }),
    };
  });
}

/** Per-query rows for one metric, biggest improvement first, then alphabetical (stable for equal deltas). */
export function queryRows(before: EvaluationResult | null, after: EvaluationResult | null, metric: string, more: Comparisons = {}): QueryRow[] {
  const rows = new Map<string, QueryRow>();
  for (const q of before?.queries ?? []) rows.set(q.query, { query: q.query, numRelevant: q.numRelevant, before: q.metrics[metric], delta: 0 });
  for (const q of after?.queries ?? []) {
    const r = rows.get(q.query) ?? { query: q.query, numRelevant: q.numRelevant, delta: 0 };
    r.after = q.metrics[metric];
    rows.set(q.query, r);
  }
  for (const side of ['bm25', 'hybrid'] as const)
    for (const q of more[side]?.queries ?? []) {
      const r = rows.get(q.query);
      if (r) r[side] = q.metrics[metric];
    }
  const out = [...rows.values()].map((r) => ({ ...r, delta: (r.after ?? 0) - (r.before ?? 0) }));
  return out.sort((a, b) => b.delta - a.delta || a.query.localeCompare(b.query));
}

export class EvalState {
  runId = $state<string | null>(null);
  model = $state<ModelInfo | null>(null);
  before = $state.raw<EvaluationResult | null>(null);
  after = $state.raw<EvaluationResult | null>(null);
  metric = $state('ndcg@10');
  /** 'gain': biggest improvement first; 'loss': biggest drop first */
  order = $state<'gain' | 'loss'>('gain');

  /** BM25 over the same product texts and the fine-tuned model fused with it, on the same queries */
  bm25 = $state.raw<EvaluationResult | null>(null);
  hybrid = $state.raw<EvaluationResult | null>(null);
  fusion = $state<HybridChoice['fusion']>('rrf');
  /** the queries the models were evaluated on, so every column scores the same ones */
  private evalQueries: string[] | undefined;
  /** the linear mix's cosine weight */
  weight = $state(1);
  comparing = $state(false);
  compareError = $state<string | null>(null);

  query = $state('');
  searchedQuery = $state('');
  bm25Hits = $state.raw<SearchHit[]>([]);
  baselineHits = $state.raw<SearchHit[]>([]);
  tunedHits = $state.raw<SearchHit[]>([]);
  searching = $state(false);
  searchError = $state<string | null>(null);

  exporting = $state(false);
  exportError = $state<string | null>(null);
  exported = $state<string | null>(null);

  ready = $derived(this.runId !== null && this.model !== null);
  metrics = $derived(metricRows(this.before?.metrics, this.after?.metrics, { bm25: this.bm25?.metrics, hybrid: this.hybrid?.metrics }));
  perQuery = $derived.by(() => {
    const rows = queryRows(this.before, this.after, this.metric, { bm25: this.bm25, hybrid: this.hybrid });
    return this.order === 'gain' ? rows : [...rows].reverse();
  });
  /** a CLIP model's snippets name the image vector field and /ftclip/text/ */
  /** a text model's width follows the row chosen to ship (its Matryoshka dimension) */
  snippets = $derived.by<Snippet[]>(() =>
    !this.model ? [] : this.model.modelType === 'clip' ? clipSnippets(this.model.dim) : chorusSnippets(this.ship.dim),
  );
  isClip = $derived(this.model?.modelType === 'clip');

  readonly deps: EvalDeps;
  /** the α slider, the trade-off table and the row the download follows */
  readonly ship: ShipState;

  constructor(deps: EvalDeps) {
    this.deps = deps;
    this.ship = new ShipState(
      deps.client,
      () => this.model,
      () => this.evalQueries,
    );
  }

  setResults(r: RunResults): void {
    this.runId = r.runId;
    this.model = r.model;
    this.before = r.before;
    this.after = r.after;
    this.evalQueries = r.evalQueries;
    this.bm25 = null;
    this.hybrid = null;
    this.bm25Hits = [];
    this.baselineHits = [];
    this.tunedHits = [];
    this.searchedQuery = '';
    this.exported = null;
    this.ship.reset();
    if (r.after ?? r.before) void this.compare();
  }

  setFusion(fusion: HybridChoice['fusion']): Promise<void> {
    this.fusion = fusion;
    return this.compare();
  }

  /** the mix's weight; a cleared or negative field keeps the last valid one */
  setWeight(w: number): Promise<void> {
    if (Number.isFinite(w) && w >= 0) this.weight = w;
    return this.compare();
  }

  /** BM25's column (once per run) and the hybrid's (again when the fusion or the weight changes). */
  async compare(): Promise<void> {
    if (!(this.after ?? this.before)) return;
    const queries = this.evalQueries;
    const runId = this.runId;
    this.comparing = true;
    this.compareError = null;
    try {
      const hybrid: HybridChoice = this.fusion === 'mix' ? { fusion: 'mix', weight: this.weight } : { fusion: 'rrf' };
      const [bm25, fused] = await Promise.all([
        this.bm25 ?? this.deps.client.evaluate({ which: 'bm25', ...(queries && { queries }) }),
        this.after ? this.deps.client.evaluate({ which: 'tuned', hybrid, ...(queries && { queries }) }) : null,
      ]);
      if (this.runId !== runId) return; // another run was opened meanwhile
      this.bm25 = bm25;
      this.hybrid = fused;
    } catch (e) {
      this.compareError = errorMessage(e);
    } finally {
      this.comparing = false;
    }
  }

  async search(query = this.query): Promise<void> {
    const q = query.trim();
    this.query = query;
    if (!q) return;
    this.searching = true;
    this.searchError = null;
    try {
      const [lexical, b, t] = await Promise.all([
        this.deps.client.search(q, 10, 'bm25'),
        this.deps.client.search(q, 10, 'baseline'),
        this.deps.client.search(q, 10, 'tuned'),
      ]);
      this.bm25Hits = lexical;
      this.baselineHits = b;
      this.tunedHits = t;
      this.searchedQuery = q;
    } catch (e) {
      this.searchError = errorMessage(e);
    } finally {
      this.searching = false;
    }
  }

  zipName(): string {
    const base = (this.model?.id ?? 'model')
      .split('/')
      .pop()!
      .replace(/[^\w.-]+/g, '-');
    return `${base}-ftlab-finetuned.zip`;
  }

  async exportZip(): Promise<void> {
    if (!this.runId) return;
    this.exporting = true;
    this.exportError = null;
    try {
      const ship = this.ship.choice;
      const blob = await this.deps.client.exportZip(this.runId, {
        name: this.zipName().replace(/\.zip$/, ''),
        ...(Object.keys(ship).length && { ship }),
      });
      const name = this.zipName();
      this.deps.saveBlob(blob, name);
      this.exported = name;
    } catch (e) {
      this.exportError = errorMessage(e);
    } finally {
      this.exporting = false;
    }
  }
}
