/**
 * Counts what predicts a WebGPU step's time on a real GPU for small encoders (issue 12): compute dispatches,
 * queue submits, CPU←GPU readbacks (mapAsync of a READ buffer), uploads (writeBuffer, mapped-at-creation
 * buffers), compute pipelines created (one per distinct shader program tfjs compiles) and the live and peak
 * bytes of GPU buffers. SwiftShader counts these exactly like a GPU would, even though its timings mean nothing.
 *
 * It wraps methods on the prototypes of the device's own objects (found by creating one of each), so it works
 * for Chromium's WebGPU and for Dawn in Node alike, and for every device created afterwards too.
 */

export interface WebGpuCounts {
  dispatches: number;
  submits: number;
  readbacks: number;
  uploads: number;
  uploadBytes: number;
  pipelines: number;
  buffersCreated: number;
  liveBufferBytes: number;
  peakBufferBytes: number;
}

/** all counts 0 */
export const emptyWebGpuCounts = (): WebGpuCounts => ({
  dispatches: 0,
  submits: 0,
  readbacks: 0,
  uploads: 0,
  uploadBytes: 0,
  pipelines: 0,
  buffersCreated: 0,
  liveBufferBytes: 0,
  peakBufferBytes: 0,
});

export interface WebGpuCounter {
  /** a copy of the running totals */
  snapshot(): WebGpuCounts;
  /** restarts the peak at the bytes live now, so a step's own peak can be read */
  resetPeak(): void;
}

/** counts - before, except the gauges (live, peak), which are taken from `after` */
export function countsBetween(before: WebGpuCounts, after: WebGpuCounts): WebGpuCounts {
  const d = emptyWebGpuCounts();
  for (const k of Object.keys(d) as (keyof WebGpuCounts)[]) d[k] = after[k] - before[k];
  d.liveBufferBytes = after.liveBufferBytes;
  d.peakBufferBytes = after.peakBufferBytes;
  return d;
}

type Method = (...args: never[]) => unknown;

function wrap<T extends object>(
  proto: T,
  name: string,
  before: (self: T, args: unknown[]) => void,
  after?: (self: T, args: unknown[], out: unknown) => void,
) {
  const original = (proto as Record<string, Method>)[name];
  if (typeof original !== 'function' || (original as { ftlabCounted?: boolean }).ftlabCounted) return;
  const wrapped = function (this: T, ...args: unknown[]) {
    before(this, args);
    const out = (original as (...a: unknown[]) => unknown).apply(this, args);
    after?.(this, args, out);
    return out;
  };
  (wrapped as { ftlabCounted?: boolean }).ftlabCounted = true;
  (proto as Record<string, unknown>)[name] = wrapped;
}

const MAP_READ = 0x0001;

let installed: { counts: WebGpuCounts } | undefined;

/** Installs the counters (once per realm) using `device` to reach the prototypes. */
export function installWebGpuCounters(device: GPUDevice): WebGpuCounter {
  if (!installed) {
    const c = emptyWebGpuCounts();
    installed = { counts: c };
    const sizes = new WeakMap<object, number>();
    const grow = (bytes: number) => {
      c.liveBufferBytes += bytes;
      c.peakBufferBytes = Math.max(c.peakBufferBytes, c.liveBufferBytes);
    };
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.end();
    encoder.finish();
    const probe = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    wrap(Object.getPrototypeOf(pass), 'dispatchWorkgroups', () => c.dispatches++);
    wrap(Object.getPrototypeOf(pass), 'dispatchWorkgroupsIndirect', () => c.dispatches++);
    wrap(Object.getPrototypeOf(device.queue), 'submit', () => c.submits++);
    wrap(Object.getPrototypeOf(device.queue), 'writeBuffer', (_q, args) => {
      c.uploads++;
      const data = args[2] as ArrayBufferView | ArrayBuffer;
      const size = args[4] as number | undefined;
      c.uploadBytes += size ?? data.byteLength;
    });
    const deviceProto = Object.getPrototypeOf(device);
    wrap(deviceProto, 'createComputePipeline', () => c.pipelines++);
    wrap(deviceProto, 'createComputePipelineAsync', () => c.pipelines++);
    wrap(
      deviceProto,
      'createBuffer',
      (_d, args) => {
        const desc = args[0] as GPUBufferDescriptor;
        c.buffersCreated++;
        if (desc.mappedAtCreation) {
          c.uploads++;
          c.uploadBytes += desc.size;
        }
      },
      (_d, args, out) => {
        const size = (args[0] as GPUBufferDescriptor).size;
        sizes.set(out as object, size);
        grow(size);
      },
    );
    const bufferProto = Object.getPrototypeOf(probe);
    wrap(bufferProto, 'mapAsync', (_b, args) => {
      if (((args[0] as number) & MAP_READ) !== 0) c.readbacks++;
    });
    wrap(bufferProto, 'destroy', (b) => {
      const size = sizes.get(b);
      if (size !== undefined) {
        c.liveBufferBytes -= size;
        sizes.delete(b);
      }
    });
    probe.destroy();
    // the probe objects themselves are not the code's work
    Object.assign(c, { ...emptyWebGpuCounts(), liveBufferBytes: c.liveBufferBytes, peakBufferBytes: c.liveBufferBytes });
  }
  const counts = installed.counts;
  return {
    snapshot: () => ({ ...counts }),
    resetPeak: () => void (counts.peakBufferBytes = counts.liveBufferBytes),
  };
}
