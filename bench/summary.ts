import type { GpuCallCounts, TextBenchResult } from './textBench.ts';
import type { OnnxBenchResult } from './onnxBench.ts';
import type { TorchBenchResult } from './torchRunner.ts';
import type { BertConfig } from '../src/training/models/bert/bertConfig.ts';
import { encodeFlops, trainStepFlops } from './flops.ts';

export type BackendEntry = TextBenchResult | OnnxBenchResult | TorchBenchResult | { error: string; partial?: unknown };

const textsPerSec = (e: BackendEntry | undefined): number | null => (e && 'encode' in e && 'textsPerSec' in e.encode ? e.encode.textsPerSec : null);
const stepMs = (e: BackendEntry | undefined): number | null => (e && 'train' in e && 'medianMs' in e.train ? e.train.medianMs : null);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const warmupMs = (e: BackendEntry, part: 'encode' | 'train'): number | null => {
  const r = (e as Record<string, unknown>)[part] as { warmupMs?: number } | undefined;
  return typeof r?.warmupMs === 'number' ? Math.round(r.warmupMs) : null;
};

/** WebGPU counts of a steady train step and encode batch; pipelines = shader programs compiled by the warm-ups. */
interface GpuCallSummary {
  from: 'steady' | 'warmup';
  dispatches: number;
  submits: number;
  readbacks: number;
  uploads: number;
  uploadMiB: number;
  peakMiB: number;
}

export interface GpuSummary {
  trainStep: GpuCallSummary | null;
  encodeBatch: GpuCallSummary | null;
  pipelinesCompiled: number;
}

function gpuSummary(g: NonNullable<TextBenchResult['gpu']>): GpuSummary {
  // the warm-up did the same work plus compilation: its counts stand in when no steady repetition fit the budget
  const one = (c: GpuCallCounts | undefined) => {
    const k = c?.steady ?? c?.warmup;
    return k
      ? {
          from: c?.steady ? ('steady' as const) : ('warmup' as const),
          dispatches: k.dispatches,
          submits: k.submits,
          readbacks: k.readbacks,
          uploads: k.uploads,
          uploadMiB: round(k.uploadBytes / 2 ** 20, 1),
          peakMiB: round(k.peakBufferBytes / 2 ** 20, 1),
        }
      : null;
  };
  return {
    trainStep: one(g.trainStep),
    encodeBatch: one(g.encodeBatch),
    pipelinesCompiled: (g.trainStep?.warmup?.pipelines ?? 0) + (g.encodeBatch?.warmup?.pipelines ?? 0),
  };
}

/**
 * The headline table plus the ratios:
 * encodeVsOnnx = backend texts/s ÷ onnxruntime-node texts/s (1 = as fast as the ONNX baseline);
 * encodeVsTorch = backend texts/s ÷ PyTorch CPU texts/s; trainStepVsTorch = backend step time ÷ PyTorch's
 * (below 1 = faster than PyTorch); trainStepVsNodeWasm = backend step time ÷ Node wasm step time.
 * GFLOP/s divide the analytic FLOP count (bench/flops.ts) by the measured time.
 */
export function summarize(entries: Record<string, BackendEntry>, shape: { config: BertConfig; batch: number; seq: number }) {
  const onnx = textsPerSec(entries['onnxruntime-node']);
  const torch = entries['pytorch-cpu'] && !('error' in entries['pytorch-cpu']) ? entries['pytorch-cpu'] : undefined;
  const torchTps = textsPerSec(torch);
  const torchMs = stepMs(torch);
  const nodeWasm = stepMs(entries['node-wasm']);
  const stepGflop = trainStepFlops(shape.config, shape.batch, shape.seq) / 1e9;
  const textGflop = encodeFlops(shape.config, 1, shape.seq) / 1e9;
  const table: Record<
    string,
    {
      trainStepMs: number | null;
      trainStepsPerSec: number | null;
      encodeTextsPerSec: number | null;
      trainWarmupMs: number | null;
      encodeWarmupMs: number | null;
      trainGflopPerSec: number | null;
      encodeGflopPerSec: number | null;
      threads?: number;
      gpu?: GpuSummary;
      error?: string;
    }
  > = {};
  const encodeVsOnnx: Record<string, number | null> = {};
  const trainStepVsNodeWasm: Record<string, number | null> = {};
  const encodeVsTorch: Record<string, number | null> = {};
  const trainStepVsTorch: Record<string, number | null> = {};
  for (const [name, entry] of Object.entries(entries)) {
    // a backend killed at its budget still contributes what it measured before
    const e = ('partial' in entry && entry.partial ? entry.partial : entry) as BackendEntry;
    const tps = textsPerSec(e);
    const ms = stepMs(e);
    const partialErr = 'train' in e && 'error' in e.train ? `train: ${e.train.error}` : undefined;
    table[name] = {
      trainStepMs: ms === null ? null : Math.round(ms),
      trainStepsPerSec: ms === null ? null : round(1000 / ms, 4),
      encodeTextsPerSec: tps === null ? null : round(tps, 2),
      trainWarmupMs: warmupMs(e, 'train'),
      encodeWarmupMs: warmupMs(e, 'encode'),
      trainGflopPerSec: ms === null ? null : round(stepGflop / (ms / 1000), 1),
      encodeGflopPerSec: tps === null ? null : round(textGflop * tps, 1),
      ...(typeof (e as { threads?: unknown }).threads === 'number' ? { threads: (e as { threads: number }).threads } : {}),
      ...('gpu' in e && e.gpu ? { gpu: gpuSummary(e.gpu) } : {}),
      ...('error' in entry ? { error: entry.error } : partialErr ? { error: partialErr } : {}),
    };
    if (name !== 'onnxruntime-node') encodeVsOnnx[name] = tps !== null && onnx ? round(tps / onnx) : null;
    if (name === 'pytorch-cpu') continue;
    encodeVsTorch[name] = tps !== null && torchTps ? round(tps / torchTps) : null;
    if (name === 'onnxruntime-node') continue;
    trainStepVsTorch[name] = ms !== null && torchMs ? round(ms / torchMs) : null;
    trainStepVsNodeWasm[name] = ms !== null && nodeWasm ? round(ms / nodeWasm) : null;
  }
  // ftlab export's q8/int8/fp16 graphs against its float32 one, all in onnxruntime-node on the same batches
  const ortEntry = entries['onnxruntime-node'];
  const variants = ortEntry && !('error' in ortEntry) ? (ortEntry as OnnxBenchResult).variants : undefined;
  const onnxDtypes = Object.fromEntries(
    Object.entries(variants ?? {}).map(([d, v]) => [
      d,
      {
        encodeVsFp32: onnx ? round(v.textsPerSec / onnx) : null,
        bytesVsFp32: round(v.modelBytes / (ortEntry as OnnxBenchResult).modelBytes),
        meanCosine: round(v.meanCosine, 5),
        minCosine: round(v.minCosine, 5),
      },
    ]),
  );
  return { summary: table, ratios: { encodeVsOnnx, encodeVsTorch, trainStepVsTorch, trainStepVsNodeWasm, onnxDtypes } };
}
