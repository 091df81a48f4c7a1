/**
 * safetensors reader/writer (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length, a JSON header, then raw little-endian tensor bytes. Everything is read into Float32Array
 * because tfjs trains in float32; integer tensors (e.g. BERT's `position_ids` buffer) are tolerated.
 */

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
  /** dtype as stored on disk; writers always store F32. */
  dtype?: SafetensorsDtype;
}

export type TensorMap = Map<string, NamedTensor>;

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, n: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      break;
  }
  return out;
}

export interface ReadOptions {
  /** file name used in error messages */
  source?: string;
  onWarning?: (message: string) => void;
}

/** Parses a whole safetensors file. Errors name the file and the tensor at fault. */
export function readSafetensors(bytes: Uint8Array, opts: ReadOptions = {}): TensorMap {
  const src = opts.source ?? 'model.safetensors';
  if (bytes.byteLength < 8) throw new SafetensorsError(`${src}: file is ${bytes.byteLength} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8)
    throw new SafetensorsError(`${src}: header length ${headerLen} exceeds file size ${bytes.byteLength} (truncated file?)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`${src}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const out: TensorMap = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) {
      opts.onWarning?.(`${src}: tensor "${name}" has unsupported dtype ${dtype}; ignored`);
      continue;
    }
    const dt = dtype as SafetensorsDtype;
    const n = numel(shape);
    const [begin, end] = data_offsets;
    if (end - begin !== n * BYTES[dt]) {
      throw new SafetensorsError(
        `${src}: tensor "${name}" has shape [${shape}] (${dt}) = ${n * BYTES[dt]} bytes but its data spans ${end - begin} bytes`,
      );
    }
    if (dataStart + end > bytes.byteLength) {
      throw new SafetensorsError(
        `${src}: tensor "${name}" ends at byte ${dataStart + end} but the file has ${bytes.byteLength} bytes (truncated file)`,
      );
    }
    out.set(name, { shape: [...shape], dtype: dt, data: decode(dt, bytes.subarray(dataStart + begin, dataStart + end), n) });
  }
  return out;
}

/**
 * Writes F32 tensors in name order with `__metadata__: {format: "pt"}` (what transformers expects) and
 * the header padded with spaces so the data section starts 8-byte aligned.
 */
export function writeSafetensors(tensors: TensorMap | Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const [name, t] of entries) {
    if (t.data.length !== numel(t.shape)) {
      throw new SafetensorsError(`tensor "${name}": shape [${t.shape}] needs ${numel(t.shape)} values, got ${t.data.length}`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json).byteLength;
  json += ' '.repeat((8 - ((8 + raw) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
