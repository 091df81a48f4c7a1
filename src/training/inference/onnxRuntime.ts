/**
 * The onnxruntime the forward-only paths run on, injected by the environment: onnxruntime-node in the CLI
 * (src/cli/ortNodeRuntime.ts), onnxruntime-web in the lab's workers (src/workers/ortWebRuntime.ts). Training
 * code sees only this interface, so it imports neither package and still runs in Node and the browser alike;
 * without a runtime every path falls back to tfjs.
 */

/** int64 token ids or masks, row-major */
export interface Int64Feed {
  data: BigInt64Array;
  dims: readonly number[];
}

export interface FloatOutput {
  data: Float32Array;
  dims: readonly number[];
}

export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Int64Feed>, outputs: readonly string[]): Promise<Record<string, FloatOutput>>;
  release(): Promise<void>;
}

export interface OnnxRuntime {
  /** shown in the lab and the CLI, e.g. "onnxruntime-node cpu, 2 threads" */
  readonly name: string;
  createSession(bytes: Uint8Array): Promise<OnnxSessionLike>;
}

let current: OnnxRuntime | undefined;

/** Installs (or, with undefined, removes) the runtime forward-only encoders use. */
export function useOnnxRuntime(runtime: OnnxRuntime | undefined): void {
  current = runtime;
}

export const onnxRuntime = (): OnnxRuntime | undefined => current;

/** Int32 tokenizer output as an int64 feed. */
export function int64Feed(values: Int32Array, dims: readonly number[]): Int64Feed {
  return { data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
}
