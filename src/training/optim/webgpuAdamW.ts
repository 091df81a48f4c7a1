import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../weights/safetensors.ts';
import { resolveAdamWOptions, type AdamWOptions, type AdamWState, type Optimizer, type UpdateResult } from './adamw.ts';
import { adamWShaders } from './webgpuAdamWShaders.ts';

/** The internals of tfjs-webgpu's backend this optimizer reaches into (4.x; checked at construction). */
interface TfWebGpuBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: GPUBuffer | null } };
  uploadToGPU(dataId: object): void;
  submitQueue(): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const WORKGROUPS = 256; // partial sums of the gradient norm; the update walks all elements grid-stride

/**
 * torch AdamW + clip_grad_norm_ for every parameter in three dispatches (squared-norm partials, norm and clip
 * coefficient, one update over all elements) instead of ~13 tfjs kernels per tensor, and one readback per
 * step. The gradients and weights are gathered into flat buffers with copyBufferToBuffer (copies, not
 * dispatches); the moments live flat on the GPU. A non-finite loss or norm makes the update kernel leave
 * every buffer unchanged and stays latched, so the weights are exactly those of the last good step even
 * when the caller reads the result late. Same arithmetic, in float32, as AdamW.step and gradientClipping.ts; only
 * the norm's summation order differs.
 */
export class WebGpuAdamW implements Optimizer {
  readonly pipelined = true;
  t = 0;
  private readonly names: string[];
  private readonly offsets: number[] = [];
  private readonly total: number;
  private readonly device: GPUDevice;
  private readonly buffers: Record<'p' | 'g' | 'm' | 'v' | 'partials' | 'stats' | 'segments' | 'uniforms', GPUBuffer>;
  /** two, so a step can be submitted while the previous step's result is still being mapped */
  private readonly readbacks: GPUBuffer[];
  private nextReadback = 0;
  private readonly pipelines: { partials: GPUComputePipeline; norm: GPUComputePipeline; update: GPUComputePipeline };
  private readonly binds: { partials: GPUBindGroup; norm: GPUBindGroup; update: GPUBindGroup };
  private readonly opts: Required<Omit<AdamWOptions, 'noDecay'>>;
  private readonly decays: boolean[];

  constructor(
    readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    const backend = tf.backend() as unknown as TfWebGpuBackend;
    if (!backend.device || !backend.tensorMap || !backend.makeTensorInfo) throw new Error('WebGpuAdamW needs the tfjs webgpu backend');
    this.device = backend.device;
    const { noDecay, ...numbers } = resolveAdamWOptions(opts);
    this.opts = numbers;
    this.names = [...params.keys()];
    this.decays = this.names.map((n) => !noDecay(n));
    let at = 0;
    for (const v of params.values()) {
      this.offsets.push(at);
      at += v.size;
    }
    this.total = at;
    const d = this.device;
    const storage = (floats: number, extra = 0) =>
      d.createBuffer({ size: Math.max(16, floats * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extra });
    this.buffers = {
      p: storage(at),
      g: storage(at),
      m: storage(at),
      v: storage(at),
      partials: storage(WORKGROUPS),
      stats: storage(8),
      segments: storage(4 * this.names.length),
      uniforms: d.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
    };
    this.readbacks = [0, 1].map(() => d.createBuffer({ size: 32, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    const b = this.buffers;
    const shaders = adamWShaders(WORKGROUPS);
    const pipeline = (code: string) =>
      d.createComputePipeline({ layout: 'auto', compute: { module: d.createShaderModule({ code }), entryPoint: 'main' } });
    this.pipelines = { partials: pipeline(shaders.partials), norm: pipeline(shaders.norm), update: pipeline(shaders.update) };
    const group = (p: GPUComputePipeline, list: GPUBuffer[]) =>
      d.createBindGroup({ layout: p.getBindGroupLayout(0), entries: list.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    this.binds = {
      partials: group(this.pipelines.partials, [b.g, b.partials, b.uniforms]),
      norm: group(this.pipelines.norm, [b.partials, b.stats, b.uniforms]),
      update: group(this.pipelines.update, [b.p, b.g, b.m, b.v, b.stats, b.segments, b.uniforms]),
    };
  }

  async update(grads: Map<string, tf.Tensor>, loss: tf.Tensor, lr: number, maxNorm: number): Promise<UpdateResult> {
    const backend = tf.backend() as unknown as TfWebGpuBackend;
    const vars = [...this.params.values()];
    const gs = this.names.map((n) => grads.get(n));
    for (const x of [...vars, ...gs, loss]) if (x) backend.uploadToGPU(x.dataId);
    // everything tfjs recorded (the gradients) runs before this step's commands
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    this.t += 1;
    const { beta1: b1, beta2: b2, eps, weightDecay } = this.opts;
    const u = new ArrayBuffer(64);
    new Float32Array(u, 0, 8).set([1 - lr * weightDecay, 1 - b1, b2, 1 - b2, Math.sqrt(1 - b2 ** this.t), eps, lr / (1 - b1 ** this.t), maxNorm]);
    new Uint32Array(u, 32, 2).set([this.total, this.names.length]);
    const segments = new Uint32Array(4 * this.names.length);
    this.names.forEach((_, i) => segments.set([this.offsets[i]!, vars[i]!.size, (this.decays[i] ? 1 : 0) | (gs[i] ? 2 : 0), 0], 4 * i));
    const q = this.device.queue;
    q.writeBuffer(this.buffers.uniforms, 0, u);
    q.writeBuffer(this.buffers.segments, 0, segments);

    const buf = (x: tf.TensorInfo) => backend.tensorMap.get(x.dataId).resource!;
    const bytes = (i: number) => vars[i]!.size * 4;
    const enc = this.device.createCommandEncoder();
    const b = this.buffers;
    vars.forEach((v, i) => {
      enc.copyBufferToBuffer(buf(v), 0, b.p, this.offsets[i]! * 4, bytes(i));
      // a parameter without a gradient is skipped by the update (torch: grad None) and adds 0 to the norm
      if (gs[i]) enc.copyBufferToBuffer(buf(gs[i]!), 0, b.g, this.offsets[i]! * 4, bytes(i));
      else enc.clearBuffer(b.g, this.offsets[i]! * 4, bytes(i));
    });
    enc.copyBufferToBuffer(buf(loss), 0, b.stats, 0, 4);
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipelines.partials);
    pass.setBindGroup(0, this.binds.partials);
    pass.dispatchWorkgroups(WORKGROUPS);
    pass.setPipeline(this.pipelines.norm);
    pass.setBindGroup(0, this.binds.norm);
    pass.dispatchWorkgroups(1);
    pass.setPipeline(this.pipelines.update);
    pass.setBindGroup(0, this.binds.update);
    pass.dispatchWorkgroups(Math.min(65535, Math.max(1, Math.ceil(this.total / 256))));
    pass.end();
    // new tensors for the updated weights (tfjs semantics: a tensor sharing the old data keeps its values)
    const outs = vars.map((v, i) => {
      const info = backend.makeTensorInfo(v.shape, 'float32');
      backend.uploadToGPU(info.dataId);
      enc.copyBufferToBuffer(b.p, this.offsets[i]! * 4, buf(info), 0, bytes(i));
      return info;
    });
    const readback = this.readbacks[this.nextReadback]!;
    if (readback.mapState !== 'unmapped') throw new Error('WebGpuAdamW.update: the results of the two previous steps are still unread');
    this.nextReadback = 1 - this.nextReadback;
    enc.copyBufferToBuffer(b.stats, 0, readback, 0, 32);
    q.submit([enc.finish()]);
    vars.forEach((v, i) => {
      const t = tf.engine().makeTensorFromTensorInfo(outs[i]!);
      v.assign(t);
      t.dispose();
    });
    await readback.mapAsync(GPUMapMode.READ);
    const [lossValue, norm, , applied] = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    if (!applied) this.t -= 1;
    return { loss: lossValue!, norm: norm!, applied: applied === 1 };
  }

  async exportState(): Promise<AdamWState> {
    const [m, v] = await Promise.all([this.readFlat(this.buffers.m), this.readFlat(this.buffers.v)]);
    const split = (flat: Float32Array): TensorMap =>
      new Map(
        this.names.map((n, i) => [
          n,
          { shape: this.params.get(n)!.shape, data: flat.slice(this.offsets[i]!, this.offsets[i]! + this.params.get(n)!.size) },
        ]),
      );
    return { t: this.t, m: split(m), v: split(v) };
  }

  importState(s: AdamWState): void {
    for (const [what, src, dst] of [
      ['first moment', s.m, this.buffers.m],
      ['second moment', s.v, this.buffers.v],
    ] as const) {
      const flat = new Float32Array(this.total);
      this.names.forEach((n, i) => {
        const saved = src.get(n);
        const shape = this.params.get(n)!.shape;
        if (!saved) throw new Error(`optimizer state: no ${what} for parameter "${n}"`);
        if (saved.shape.join(',') !== shape.join(','))
          throw new Error(`optimizer state: ${what} of "${n}" has shape [${saved.shape}], parameter has [${shape}]`);
        flat.set(saved.data, this.offsets[i]!);
      });
      this.device.queue.writeBuffer(dst, 0, flat);
    }
    // a restored run starts without the latched non-finite flag
    this.device.queue.writeBuffer(this.buffers.stats, 0, new Float32Array(8));
    this.t = s.t;
  }

  private async readFlat(src: GPUBuffer): Promise<Float32Array> {
    const staging = this.device.createBuffer({ size: Math.max(16, this.total * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, staging.size);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0, this.total * 4));
    staging.destroy();
    return out;
  }

  dispose(): void {
    for (const x of [...Object.values(this.buffers), ...this.readbacks]) x.destroy();
  }
}
