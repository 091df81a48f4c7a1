import os from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const version = (pkg: string) => {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

/** What the numbers depend on: CPU, memory, runtimes and library versions. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    logicalCores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gpu: 'none (browser WebGPU/WebGL run on SwiftShader, i.e. on the CPU)',
    versions: {
      '@tensorflow/tfjs': version('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': version('@tensorflow/tfjs-backend-wasm'),
      '@tensorflow/tfjs-backend-webgpu': version('@tensorflow/tfjs-backend-webgpu'),
      'onnxruntime-node': version('onnxruntime-node'),
      'playwright-core': version('playwright-core'),
    },
  };
}
