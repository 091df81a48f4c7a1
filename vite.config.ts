import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Cross-origin isolation enables multi-threaded WASM (tfjs-wasm, onnxruntime-web);
// "credentialless" keeps cross-origin product images loading.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

export default defineConfig({
  plugins: [svelte()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  // imported only once a worker picks WebGPU; pre-bundled so the dev server never re-optimizes mid-session
  optimizeDeps: { include: ['onnxruntime-web/webgpu'] },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
