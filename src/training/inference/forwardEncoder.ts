/**
 * The encoder every forward-only path uses (corpus and query embedding for mining, evaluation, search, the CLI's
 * eval/embed/vectors/prepare): onnxruntime over a graph of the weights as they are at the first encode, or the
 * tfjs model itself where no runtime is installed or the family cannot build a graph. The graph is a snapshot:
 * weights trained afterwards need a new ForwardEncoder (periodic evaluation makes one per evaluation).
 */
import type { EncodeOptions, TextEncoderLike } from '../eval/evaluator.ts';
import type { FamilyEncoder, ModelFamily } from '../families/family.ts';
import { chooseOnnx, onnxRuntime, type OnnxChoice, type OnnxRuntime } from './onnxRuntime.ts';
import { OnnxTextEncoder, type OnnxTextGraph } from './onnxTextEncoder.ts';

export interface ForwardEncoder extends TextEncoderLike {
  /** which engine the encodes ran on ("onnxruntime-web wasm, 2 threads", "tfjs: …why"); undefined before the first */
  readonly engine: string | undefined;
  release(): Promise<void>;
}

export interface ForwardEncoderOptions {
  /** default: the installed runtime (useOnnxRuntime) */
  runtime?: OnnxRuntime | null;
  /** told once when onnxruntime was wanted but could not be used */
  onWarning?: (message: string) => void;
}

export function forwardEncoder(
  fallback: TextEncoderLike,
  graph: (() => Promise<OnnxTextGraph>) | undefined,
  opts: ForwardEncoderOptions = {},
): ForwardEncoder {
  const runtime = opts.runtime === null ? undefined : (opts.runtime ?? onnxRuntime());
  let chosen: Promise<OnnxChoice<OnnxTextEncoder>> | undefined;
  let engine: string | undefined;
  const choose = () => (chosen ??= chooseOnnx(runtime, graph && (async (r) => OnnxTextEncoder.open(r, await graph())), 'inference', opts.onWarning));
  return {
    get engine() {
      return engine;
    },
    async encode(texts: string[], o?: EncodeOptions) {
      const c = await choose();
      engine = c.engine;
      return (c.onnx ?? fallback).encode(texts, o);
    },
    async release() {
      const c = await chosen;
      chosen = undefined;
      await c?.onnx?.release();
    },
  };
}

/** The family's forward encoder for `encoder` (its ONNX graph when it builds one). */
export function familyForwardEncoder<E extends FamilyEncoder>(family: ModelFamily<E>, encoder: E, opts: ForwardEncoderOptions = {}): ForwardEncoder {
  const build = family.onnxTextGraph;
  return forwardEncoder(encoder, build && (() => build(encoder)), opts);
}
