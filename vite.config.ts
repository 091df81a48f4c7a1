import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

// the headers the service worker adds where a host cannot: one definition for the dev server and the worker
import { isolationHeaders as isolation } from './src/serviceWorker/isolatedResponse.ts';

export default defineConfig({
  // relative URLs: one build works from any static host under any path (/, /ftlab/, a GitHub Pages project)
  base: './',
  plugins: [
    svelte(),
    // the service worker (src/serviceWorker/sw.ts): precache for offline use, isolation headers where the host sets none
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/serviceWorker',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'ftlab — fine-tuning lab for e-commerce search',
        short_name: 'ftlab',
        description: 'Fine-tune SBERT and CLIP embedding models for product search in the browser (Chorus kata 13).',
        theme_color: '#2563eb',
        background_color: '#ffffff',
        display: 'standalone',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,mjs,css,html,wasm,svg,webmanifest,zip,csv}'],
        // onnxruntime-web's WebGPU build (~27 MB) is cached when first used (src/serviceWorker/isolatedResponse.ts)
        globIgnores: ['**/*asyncify*'],
        maximumFileSizeToCacheInBytes: 20 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: {
    format: 'es',
    // tfjs-backend-wasm starts its threads from its Emscripten factory's source (Function.toString) in a Blob:
    // mangled or compressed, the factory names its enclosing scope's variables and every thread dies with a
    // ReferenceError. Whitespace is all the workers' minification removes.
    rolldownOptions: { output: { minify: { mangle: false, compress: false } } },
  },
  // imported only once a worker picks WebGPU; pre-bundled so the dev server never re-optimizes mid-session
  optimizeDeps: { include: ['onnxruntime-web/webgpu'] },
  build: {
    // the app's own chunks are small; the worker chunks (tfjs, transformers.js) load only when a worker needs them
    chunkSizeWarningLimit: 2000,
  },
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
