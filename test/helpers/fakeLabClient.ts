/** An in-memory LabClient for the UI state tests: records calls, scripted training, no workers. */
import type {
  BackendInfo,
  DataSummary,
  Estimate,
  EstimateRequest,
  Calibration,
  CalibrationRequest,
  EvaluateRequest,
  EvaluationResult,
  LabClient,
  LabData,
  ModelInfo,
  ModelSpec,
  PreparedData,
  PrepareRequest,
  ProgressCallback,
  Ranker,
  SearchHit,
  TrainEvent,
  TrainOutcome,
  TrainRequest,
} from '../../src/lab/api/labApi.ts';
import type { ClipPreparedData, ImageSource, ImageSummary } from '../../src/lab/api/clipRequest.ts';
import type { ShipChoice, VariantsRequest, VariantsResult } from '../../src/lab/api/variantsRequest.ts';

export interface FakeOptions {
  totalSteps?: number;
  /** setData rejects with this message */
  dataError?: string;
  /** train stops with 'nan' at this step */
  nanAt?: number;
}

const abortError = () => new DOMException('aborted', 'AbortError');

export class FakeLabClient implements LabClient {
  calls: { method: string; args: unknown[] }[] = [];
  /** training position per run (checkpoint), to resume like the real client */
  checkpoints = new Map<string, number>();
  data: LabData | null = null;
  constructor(public opts: FakeOptions = {}) {}

  #log(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }
  called(method: string) {
    return this.calls.filter((c) => c.method === method);
  }

  async backend(): Promise<BackendInfo> {
    return { name: 'webgpu', reason: 'fake adapter' };
  }
  async setData(data: LabData, onProgress?: ProgressCallback): Promise<DataSummary> {
    this.#log('setData', data);
    onProgress?.({ phase: 'load', done: 1, total: 1, unit: 'items' });
    if (this.opts.dataError) throw new Error(this.opts.dataError);
    this.data = data;
    return {
      products: 3,
      documents: 3,
      judgedQueries: data.judgments ? 2 : 0,
      judgments: data.judgments ? 4 : 0,
      importedQueries: data.queries ? 5 : 0,
      rejected: ['corpus.jsonl: record 3: no text for template'],
      warnings: [],
      preview: [{ id: 'p1', text: 'Gaming mouse pad XL' }],
    };
  }
  async estimate(req: EstimateRequest): Promise<Estimate> {
    this.#log('estimate', req);
    const fits = 'vision' in req.model || req.model.hidden <= 1024;
    return {
      backend: 'webgpu',
      fits,
      reason: fits ? 'fits' : 'too large',
      parameters: 1000,
      trainingBytes: 1e6,
      largestBufferBytes: 1e5,
      secondsPerStep: 0.5,
      totalSeconds: 10,
      totalSteps: 20,
      ...(req.gradCache && { miniBatchSize: 8 }),
      flopsPerSecond: req.flopsPerSecond ?? 2e11,
      measured: req.flopsPerSecond !== undefined,
    };
  }
  async calibrate(req: CalibrationRequest): Promise<Calibration> {
    this.#log('calibrate', req);
    return { backend: 'webgpu', flopsPerSecond: 4e11, stepSeconds: 0.25, batchSize: 8, seqLen: 64 };
  }
  async setImages(source: ImageSource): Promise<ImageSummary> {
    this.#log('setImages', source);
    return { products: 3, withImage: 2, withoutImage: 1, withoutImageIds: ['p3'], checked: 0, ok: 0, failures: [], unmatchedFiles: [], fromCache: 0 };
  }
  async checkImages(onProgress?: ProgressCallback): Promise<ImageSummary> {
    this.#log('checkImages');
    onProgress?.({ phase: 'images', done: 2, total: 2, unit: 'items' });
    return {
      products: 3,
      withImage: 2,
      withoutImage: 1,
      withoutImageIds: ['p3'],
      checked: 2,
      ok: 1,
      failures: [{ key: 'p2', reason: 'http://x/p2.jpg: not found (HTTP 404)' }],
      unmatchedFiles: [],
      fromCache: 0,
    };
  }
  async inspectModel(spec: ModelSpec) {
    this.#log('inspectModel', spec);
    return { id: 'x', family: 'sentence', modelType: 'bert', hidden: 2048, layers: 2, heads: 4, intermediate: 128, vocabSize: 100, maxSeqLength: 64 };
  }
  async loadModel(spec: ModelSpec, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<ModelInfo> {
    this.#log('loadModel', spec);
    signal?.throwIfAborted();
    onProgress?.({ phase: 'download', done: 50, total: 100, unit: 'bytes', detail: 'model.safetensors' });
    onProgress?.({ phase: 'download', done: 100, total: 100, unit: 'bytes', detail: 'model.safetensors' });
    return {
      id: spec.kind === 'hub' ? spec.id : 'local',
      modelType: 'bert',
      family: 'sentence',
      task: 'text',
      hidden: 32,
      layers: 2,
      heads: 4,
      intermediate: 128,
      vocabSize: 300,
      maxSeqLength: 64,
      pooling: 'mean',
      normalize: false,
      dim: 32,
      parameters: 12345,
      warnings: ['a warning'],
    };
  }
  async prepare(req: PrepareRequest, onProgress?: ProgressCallback): Promise<PreparedData | ClipPreparedData> {
    this.#log('prepare', req);
    onProgress?.({ phase: 'mine', done: 3, total: 3, unit: 'items' });
    const rows = [
      { query: 'a', positive: 'b' },
      { query: 'c', positive: 'd' },
    ];
    return req.mode === 'supervised'
      ? { rows, loss: 'mnrl', validationQueries: ['q2'], trainQueries: ['q1'], stats: { pairs: 2 }, warnings: [] }
      : req.mode === 'unsupervised'
        ? { rows, loss: req.crossEncoder ? 'margin-mse' : 'mnrl', queries: 2, stats: { queries: 2 }, warnings: ['w'] }
        : {
            rows: [{ text: 'gaming mouse pad', image: 'p1' }],
            loss: 'clip',
            stats: { rows: 1 },
            warnings: [],
            images: { kind: 'urls', entries: [['p1', 'http://x/p1.jpg']] },
          };
  }
  async train(runId: string, req: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome> {
    this.#log('train', runId, req);
    const total = this.opts.totalSteps ?? 4;
    const from = this.checkpoints.get(runId) ?? 0;
    if (from) onEvent({ type: 'resumed', step: from, totalSteps: total });
    const losses: number[] = [];
    for (let step = from + 1; step <= total; step++) {
      await Promise.resolve();
      if (signal?.aborted) {
        this.checkpoints.set(runId, step - 1);
        return { status: 'paused', step: step - 1, totalSteps: total, resumedFrom: from, losses, elapsedMs: 1 };
      }
      if (this.opts.nanAt === step)
        return { status: 'nan', step, totalSteps: total, resumedFrom: from, losses, elapsedMs: 1, message: `loss is NaN at step ${step}` };
      const loss = 1 / step;
      losses.push(loss);
      onEvent({
        type: 'step',
        step,
        totalSteps: total,
        epoch: 0,
        loss,
        lr: 1e-5 * step,
        gradNorm: 1,
        examplesPerSec: 10,
        elapsedMs: step,
        etaSeconds: total - step,
      });
      // like the real trainer: only the scheduled steps (the last one is left to the tuned evaluation)
      if (req.evalEverySteps && step % req.evalEverySteps === 0) onEvent({ type: 'eval', step, epoch: 0, metrics: { 'ndcg@10': 0.3 + step / 100 } });
      // yield to the test between steps so pause/cancel can land mid-run
      await new Promise((r) => setTimeout(r, 1));
    }
    this.checkpoints.set(runId, total);
    // a run that keeps its best evaluation reports it as the loop does
    const best = (req.config as { loadBestModelAtEnd?: boolean }).loadBestModelAtEnd ? { best: { step: 1, metric: 'ndcg@10', value: 0.4 } } : {};
    onEvent({ type: 'done', step: total, loss: losses.at(-1), elapsedMs: 5, ...best });
    return { status: 'done', step: total, totalSteps: total, resumedFrom: from, losses, elapsedMs: 5 };
  }
  async evaluate(req: EvaluateRequest): Promise<EvaluationResult> {
    this.#log('evaluate', req);
    // nDCG@10 per ranking: base 0.3, tuned 0.5, BM25 0.45, hybrid 0.6 (mix: 0.55 + weight / 100)
    const at =
      req.which === 'bm25'
        ? 0.45
        : !req.hybrid
          ? req.which === 'tuned'
            ? 0.5
            : 0.3
          : req.hybrid.fusion === 'rrf'
            ? 0.6
            : 0.55 + (req.hybrid.weight ?? 1) / 100;
    const tuned = req.which === 'tuned';
    return {
      which: req.which,
      ...(req.hybrid && { hybrid: req.hybrid }),
      metrics: { 'ndcg@10': at, 'mrr@10': at + 0.1 },
      queries: [
        { query: 'gaming mouse pad', numRelevant: 3, metrics: { 'ndcg@10': req.which === 'bm25' ? 0.7 : tuned ? 0.9 : 0.2 } },
        { query: 'microsoft office', numRelevant: 2, metrics: { 'ndcg@10': tuned ? 0.1 : 0.4 } },
        { query: 'laptop', numRelevant: 5, metrics: { 'ndcg@10': 0.5 } },
      ].filter((q) => !req.queries || req.queries.includes(q.query)),
      warnings: [],
    };
  }
  async search(query: string, k: number, which: Ranker): Promise<SearchHit[]> {
    this.#log('search', query, k, which);
    return Array.from({ length: k }, (_, i) => ({
      rank: i + 1,
      id: `${which}-${i}`,
      score: 1 - i / 10,
      text: `${query} ${which} ${i}`,
      fields: { title: `T${i}` },
      ...(i === 0 && { rating: 3 }),
    }));
  }
  /** one row per α × dtype × dim (default 32, 16: the fake models' width and half): nDCG@10 0.5 − (1 − α)/5 − (32 − dim)/100 */
  async variants(req: VariantsRequest): Promise<VariantsResult> {
    this.#log('variants', req);
    const rows = req.alphas.flatMap((alpha) =>
      req.dtypes.flatMap((dtype) =>
        (req.dims ?? [32, 16]).map((dim) => ({
          alpha,
          dtype,
          dim,
          metrics: { 'ndcg@10': 0.5 - (1 - alpha) / 5 - (32 - dim) / 100, 'recall@100': 0.8 },
          vectorBytes: 4 * dim,
          modelBytes: dtype === 'fp32' ? 90e6 : dtype === 'fp16' ? 45e6 : 23e6,
          textsPerSec: dtype === 'int8' ? 400 : 200,
          meanCosine: dtype === 'fp32' ? 1 : 0.999,
          minCosine: dtype === 'fp32' ? 1 : 0.99,
        })),
      ),
    );
    return { rows, engine: 'fake onnxruntime' };
  }
  async exportZip(runId: string, card?: { ship?: ShipChoice }): Promise<Blob> {
    this.#log('exportZip', runId, card);
    return new Blob([new Uint8Array([0x50, 0x4b])]);
  }
  dispose(): void {}
}

export { abortError };
