import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';

/** The part of tfjs-webgpu's WebGPUBackend the kernels use (a type only: nothing here loads the backend). */
export interface WebGpuBackendLike {
  device: GPUDevice;
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: { type: 'int32' | 'uint32' | 'float32'; data: number[] }[],
  ): tf.TensorInfo;
}

export type Uniform = { type: 'int32' | 'uint32' | 'float32'; data: number[] };

export interface KernelProgram {
  /** pipeline cache key: must name every constant baked into `code` */
  key: string;
  inputs: string[];
  outputShape: number[];
  /** threads per workgroup (1-D) */
  threads: number;
  workgroups: number;
  /** WGSL fields appended to tfjs' Uniforms struct, e.g. `eps : f32, cols : i32,` */
  uniforms?: string;
  /** WGSL defining `fn main(index : i32)`; `index` is the global thread index, `workgroupIndex()` the workgroup's */
  code: string;
}

/** The workgroup's linear index, also when tfjs spreads a large dispatch over two or three dimensions. */
const workgroupIndexWgsl = `
fn workgroupIndex() -> i32 {
  return i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x);
}
`;

/**
 * Runs one WGSL program through tfjs-webgpu's own program path (pipeline cache, bind groups, command
 * batching, buffer pool), so custom kernels interleave with tfjs' kernels in one command stream.
 */
export function runProgram(backend: WebGpuBackendLike, p: KernelProgram, inputs: tf.TensorInfo[], uniforms: Uniform[] = []): tf.TensorInfo {
  const program: WebGPUProgram = {
    variableNames: p.inputs,
    outputShape: p.outputShape,
    shaderKey: `ftlab_${p.key}`,
    dispatchLayout: { x: p.outputShape.map((_, i) => i) },
    dispatch: [p.workgroups, 1, 1],
    workgroupSize: [p.threads, 1, 1],
    ...(p.uniforms ? { uniforms: p.uniforms } : {}),
    getUserCode: () => workgroupIndexWgsl + p.code,
  };
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/**
 * One thread per element of the first input's shape: `expr` (WGSL, may use `index`, the inputs by name and
 * `uniforms.<extra>`) becomes result[index]. `prelude` holds helper functions.
 */
export function runElementwise(
  backend: WebGpuBackendLike,
  p: { key: string; inputs: string[]; expr: string; prelude?: string; uniforms?: string },
  inputs: tf.TensorInfo[],
  extra: Uniform[] = [],
): tf.TensorInfo {
  const THREADS = 256;
  const size = tf.util.sizeFromShape(inputs[0]!.shape);
  return runProgram(
    backend,
    {
      key: p.key,
      inputs: p.inputs,
      outputShape: inputs[0]!.shape,
      threads: THREADS,
      workgroups: Math.ceil(size / THREADS),
      uniforms: `count : i32, ${p.uniforms ?? ''}`,
      code: `${p.prelude ?? ''}
fn main(index : i32) {
  if (index < uniforms.count) { result[index] = ${p.expr}; }
}`,
    },
    inputs,
    [{ type: 'int32', data: [size] }, ...extra],
  );
}

/** A workgroup-wide sum over `threads` lanes (call from uniform control flow: it has barriers). */
export function workgroupSumWgsl(threads: number): string {
  return `
var<workgroup> lanes : array<f32, ${threads}>;
fn workgroupSum(v : f32) -> f32 {
  lanes[localIndex] = v;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
    if (localIndex < s) { lanes[localIndex] = lanes[localIndex] + lanes[localIndex + s]; }
    workgroupBarrier();
  }
  let total = lanes[0];
  workgroupBarrier();
  return total;
}
`;
}

let disabled = false;

/** Turns the custom WebGPU kernels off (tests and the bench compare them with tfjs' composite ops). */
export function setFusedKernels(enabled: boolean): void {
  disabled = !enabled;
}

/** Whether layers should call the custom kernels: the active backend is webgpu and they are not turned off. */
export function fusedKernelsActive(): boolean {
  return !disabled && tf.getBackend() === 'webgpu';
}

/** Runs a registered custom kernel; its gradient comes from tf.registerGradient like any tfjs op. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | string | boolean> = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as tf.Tensor;
}

/** Registers a webgpu kernel once (module reloads and several importers are harmless). */
export function registerWebGpuKernel(
  kernelName: string,
  kernelFunc: (inputs: tf.TensorInfo[], backend: WebGpuBackendLike, attrs: Record<string, number>) => tf.TensorInfo,
  inputNames: string[],
  gradient?: Omit<tf.GradConfig, 'kernelName'>,
): void {
  if (tf.getKernel(kernelName, 'webgpu')) return;
  if (gradient) tf.registerGradient({ kernelName, ...gradient });
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) =>
      kernelFunc(
        inputNames.map((n) => (inputs as Record<string, tf.TensorInfo>)[n]!),
        backend as unknown as WebGpuBackendLike,
        (attrs ?? {}) as unknown as Record<string, number>,
      ),
  });
}
