import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type TensorMap } from '../../../src/training/weights/safetensors.ts';

function header(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return { n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

/** Builds a file by hand, the way the reference Python writer lays it out. */
function handMade(entries: [string, string, number[], Uint8Array][]): Uint8Array {
  const head: Record<string, unknown> = {};
  let off = 0;
  for (const [name, dtype, shape, data] of entries) {
    head[name] = { dtype, shape, data_offsets: [off, off + data.byteLength] };
    off += data.byteLength;
  }
  const h = new TextEncoder().encode(JSON.stringify(head));
  const out = new Uint8Array(8 + h.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  let p = 8 + h.byteLength;
  for (const e of entries) {
    out.set(e[3], p);
    p += e[3].byteLength;
  }
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 tensors with pt metadata and 8-byte aligned data', () => {
    const t: TensorMap = new Map([
      ['b.bias', { shape: [3], data: new Float32Array([1, -2, 3.5]) }],
      ['a.weight', { shape: [2, 2], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) }],
    ]);
    const bytes = writeSafetensors(t);
    const { n, json } = header(bytes);
    expect((8 + n) % 8).toBe(0);
    expect(json.__metadata__).toEqual({ format: 'pt' });
    expect(json['a.weight'].data_offsets).toEqual([0, 16]);
    const back = readSafetensors(bytes);
    expect([...back.keys()].sort()).toEqual(['a.weight', 'b.bias']);
    expect(Array.from(back.get('a.weight')!.data)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3, 0.4])));
    expect(back.get('b.bias')!.shape).toEqual([3]);
  });

  it('reads F16, BF16 and I64 exactly', () => {
    // 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff in F16; 1.0 = 0x3f80, -0.5 = 0xbf00 in BF16
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xbf00]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([0n, 1n, 511n]).buffer);
    const warnings: string[] = [];
    const m = readSafetensors(
      handMade([
        ['h', 'F16', [4], f16],
        ['b', 'BF16', [2], bf16],
        ['pos', 'I64', [1, 3], i64],
        ['s', 'STR', [1], new Uint8Array(1)],
      ]),
      { onWarning: (w) => warnings.push(w) },
    );
    expect(Array.from(m.get('h')!.data)).toEqual([1, -2.5, 65504, 2 ** -24]);
    expect(Array.from(m.get('b')!.data)).toEqual([1, -0.5]);
    expect(Array.from(m.get('pos')!.data)).toEqual([0, 1, 511]);
    expect(m.has('s')).toBe(false);
    expect(warnings[0]).toMatch(/"s".*STR/);
  });

  it('names the tensor when a shape does not match its data or the file is truncated', () => {
    const bad = handMade([['enc.w', 'F32', [3], new Uint8Array(8)]]);
    expect(() => readSafetensors(bad, { source: 'x.safetensors' })).toThrow(/x\.safetensors: tensor "enc\.w" has shape \[3\]/);
    const good = writeSafetensors({ 'enc.w': { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, good.byteLength - 4))).toThrow(/"enc\.w".*truncated/);
    expect(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/"w"/);
  });
});
