/** The lab API's environment and progress types: which backend the workers run and how long calls report progress. */
export type { BackendName } from '../../training/families/estimate.ts';
import type { BackendName } from '../../training/families/estimate.ts';

export interface BackendInfo {
  name: BackendName;
  /** why this backend was chosen, e.g. "WebGPU adapter found (SwiftShader)" or "WebGPU unavailable: …; using WebGL" */
  reason: string;
  /** WebGPU adapter limits when the backend is webgpu (used by estimates/refusals) */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** adapter / renderer description when known */
  adapter?: string;
  /** wasm: the threads tfjs computes with (1 without cross-origin isolation) */
  threads?: number;
  /** what embedding, evaluation and search run on: "onnxruntime-web wasm, 2 threads" or "tfjs webgpu" */
  inference?: string;
}

// ---------------------------------------------------------------- progress

export type ProgressPhase =
  | 'download' // model files; done/total in bytes (total may be undefined)
  | 'load'
  | 'queries' // query generation
  | 'embed-corpus'
  | 'embed-queries'
  | 'mine'
  | 'cross-encoder' // pairs scored
  | 'rows'
  | 'evaluate'
  | 'export'
  | 'images' // product images loaded and decoded (CLIP)
  | 'embed-images';

export interface Progress {
  phase: ProgressPhase;
  done: number;
  total?: number;
  unit: 'bytes' | 'items';
  /** e.g. the file being downloaded */
  detail?: string;
}

export type ProgressCallback = (p: Progress) => void;
