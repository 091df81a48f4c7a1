/**
 * The `onnx` protobuf namespace from onnx-proto. The package is CommonJS (`module.exports = $root`), so
 * Node's ESM loader exposes it only as the default export while bundlers may also hoist `onnx` as a
 * named export; this shim accepts both so the exporter runs in Node, vitest and a Vite Web Worker.
 */
import * as onnxModule from 'onnx-proto';

type OnnxNamespace = typeof onnxModule.onnx;
const loaded = onnxModule as unknown as { onnx?: OnnxNamespace; default?: { onnx?: OnnxNamespace } };
const ns = loaded.onnx ?? loaded.default?.onnx;
if (!ns) throw new Error('onnx-proto: could not find the "onnx" namespace export');

export const onnx: OnnxNamespace = ns;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** TensorProto.DataType values used by ftlab graphs. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;

export type ElemType = 'float32' | 'int64' | 'int32' | 'bool';

export function dataTypeOf(t: ElemType): number {
  switch (t) {
    case 'float32':
      return DataType.FLOAT;
    case 'int64':
      return DataType.INT64;
    case 'int32':
      return DataType.INT32;
    case 'bool':
      return DataType.BOOL;
  }
}
