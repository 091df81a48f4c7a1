import { dataTypeOf, type OnnxTypes } from './proto.ts';

// ONNX raw_data is little-endian; typed-array bytes can be copied as-is only on little-endian hosts.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkLength(name: string, length: number, dims: readonly number[]): void {
  if (length !== numel(dims)) {
    throw new Error(`ONNX initializer "${name}": ${length} values do not fill shape [${dims.join(', ')}]`);
  }
}

/** float32 TensorProto with raw_data (the compact encoding onnx.numpy_helper also writes); `data` must not change before encoding. */
export function floatTensor(name: string, data: Float32Array | readonly number[], dims: readonly number[]): OnnxTypes.ITensorProto {
  checkLength(name, data.length, dims);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  let raw: Uint8Array;
  if (littleEndian) {
    // A view, not a copy: model-sized weights are only copied once, into the encoded protobuf.
    raw = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  } else {
    raw = new Uint8Array(4 * f32.length);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < f32.length; i++) view.setFloat32(4 * i, f32[i]!, true);
  }
  return { name, dataType: dataTypeOf('float32'), dims: [...dims], rawData: raw };
}

/** int64 TensorProto with raw_data; values must be safe integers. */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[]): OnnxTypes.ITensorProto {
  checkLength(name, values.length, dims);
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    if (!Number.isSafeInteger(v)) throw new Error(`ONNX initializer "${name}": ${v} is not an integer`);
    view.setBigInt64(8 * i, BigInt(v), true);
  });
  return { name, dataType: dataTypeOf('int64'), dims: [...dims], rawData: raw };
}

/** Reads a float32 or int64 TensorProto back into numbers (used by tests and the structural checker). */
export function tensorValues(t: OnnxTypes.ITensorProto): Float64Array {
  const dims = (t.dims ?? []).map(Number);
  const n = numel(dims);
  const out = new Float64Array(n);
  const raw = t.rawData;
  if (raw && raw.length) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (t.dataType === dataTypeOf('float32')) for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    else if (t.dataType === dataTypeOf('int64')) for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
    else throw new Error(`tensor "${t.name}": unsupported data type ${t.dataType}`);
    return out;
  }
  const typed = t.floatData?.length ? t.floatData : (t.int64Data ?? []).map(Number);
  for (let i = 0; i < n; i++) out[i] = Number(typed[i]);
  return out;
}
