import type { TextBenchResult } from './textBench.ts';
import type { OnnxBenchResult } from './onnxBench.ts';

export type BackendEntry = TextBenchResult | OnnxBenchResult | { error: string; partial?: unknown };

const textsPerSec = (e: BackendEntry | undefined): number | null => (e && 'encode' in e && 'textsPerSec' in e.encode ? e.encode.textsPerSec : null);
const stepMs = (e: BackendEntry | undefined): number | null => (e && 'train' in e && 'medianMs' in e.train ? e.train.medianMs : null);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const warmupMs = (e: BackendEntry, part: 'encode' | 'train'): number | null => {
  const r = (e as Record<string, unknown>)[part] as { warmupMs?: number } | undefined;
  return typeof r?.warmupMs === 'number' ? Math.round(r.warmupMs) : null;
};

/**
 * The headline table plus the two requested ratios:
 * encodeVsOnnx = backend texts/s ÷ onnxruntime-node texts/s (1 = as fast as the ONNX baseline);
 * trainStepVsNodeWasm = backend step time ÷ Node wasm step time (below 1 = faster than Node wasm).
 */
export function summarize(entries: Record<string, BackendEntry>) {
  const onnx = textsPerSec(entries['onnxruntime-node']);
  const nodeWasm = stepMs(entries['node-wasm']);
  const table: Record<
    string,
    {
      trainStepMs: number | null;
      trainStepsPerSec: number | null;
      encodeTextsPerSec: number | null;
      trainWarmupMs: number | null;
      encodeWarmupMs: number | null;
      error?: string;
    }
  > = {};
  const encodeVsOnnx: Record<string, number | null> = {};
  const trainStepVsNodeWasm: Record<string, number | null> = {};
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
      ...('error' in entry ? { error: entry.error } : partialErr ? { error: partialErr } : {}),
    };
    if (name === 'onnxruntime-node') continue;
    encodeVsOnnx[name] = tps !== null && onnx ? round(tps / onnx) : null;
    trainStepVsNodeWasm[name] = ms !== null && nodeWasm ? round(ms / nodeWasm) : null;
  }
  return { summary: table, ratios: { encodeVsOnnx, trainStepVsNodeWasm } };
}
