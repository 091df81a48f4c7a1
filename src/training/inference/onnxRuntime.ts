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

/** What an onnxruntime InferenceSession (node or web) offers, as far as the adapter below needs it. */
export interface OrtInferenceSession<T> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, T>,
    fetches: string[],
  ): Promise<Record<string, { dims: readonly number[]; getData(releaseData?: boolean): Promise<unknown> }>>;
  release(): Promise<void>;
}

/**
 * An onnxruntime InferenceSession as an OnnxSessionLike: feeds become the package's int64 tensors (`int64`), and
 * outputs are read with getData(), which downloads an output a WebGPU session left on the GPU and is a plain read
 * for CPU tensors.
 */
export function ortSessionLike<T>(session: OrtInferenceSession<T>, int64: (f: Int64Feed) => T): OnnxSessionLike {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, int64(f)])), [...outputs]);
      const read = async (name: string) => ({ data: (await out[name]!.getData(true)) as Float32Array, dims: out[name]!.dims });
      return Object.fromEntries(await Promise.all(outputs.map(async (name) => [name, await read(name)] as const)));
    },
    release: () => session.release(),
  };
}

/** A session over `bytes` that has the `inputs` and `outputs` a caller relies on; refused (and released) otherwise. */
export async function openSession(
  runtime: OnnxRuntime,
  bytes: Uint8Array,
  need: { inputs: readonly string[]; outputs: readonly string[] },
): Promise<OnnxSessionLike> {
  const session = await runtime.createSession(bytes);
  const input = need.inputs.find((n) => !session.inputNames.includes(n));
  const output = need.outputs.find((n) => !session.outputNames.includes(n));
  if (input !== undefined || output !== undefined) {
    await session.release();
    throw new Error(input !== undefined ? `the ONNX graph has no input "${input}"` : `the ONNX graph has no output "${output}"`);
  }
  return session;
}

/** What a forward-only path runs on: an onnxruntime-backed value, or tfjs with the reason. */
export interface OnnxChoice<T> {
  onnx?: T;
  /** "onnxruntime-node cpu, 2 threads", or "tfjs (…why)" */
  engine: string;
}

/**
 * Opens `open` on the runtime, or says why tfjs runs instead: no runtime installed, nothing to open (`open`
 * undefined: no graph for this model), or a failure, which is also told once through `onWarning`.
 */
export async function chooseOnnx<T>(
  runtime: OnnxRuntime | undefined,
  open: ((runtime: OnnxRuntime) => Promise<T>) | undefined,
  what: string,
  onWarning?: (message: string) => void,
): Promise<OnnxChoice<T>> {
  if (!runtime) return { engine: 'tfjs (no onnxruntime here)' };
  if (!open) return { engine: 'tfjs (this family builds no ONNX graph)' };
  try {
    return { onnx: await open(runtime), engine: runtime.name };
  } catch (e) {
    const why = (e as Error).message || String(e);
    onWarning?.(`onnxruntime unavailable for ${what} (${why}); using tfjs`);
    return { engine: `tfjs (onnxruntime failed: ${why})` };
  }
}

/** Int32 tokenizer output as an int64 feed. */
export function int64Feed(values: Int32Array, dims: readonly number[]): Int64Feed {
  return { data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
}
