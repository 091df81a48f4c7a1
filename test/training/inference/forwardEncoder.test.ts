/**
 * Forward-only inference on onnxruntime over the graph the exporter builds in memory from the current weights:
 * the same embeddings as the tfjs model (≤ 1e-5) on both runtimes the project uses, for both sentence backbones;
 * the tfjs fallback when no runtime is installed or the graph cannot run; a snapshot of the weights, not a view.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { nodeOnnxRuntime } from '../../../src/cli/ortNodeRuntime.ts';
import { bertFamily } from '../../../src/training/families/sentence/bertFamily.ts';
import { xlmRobertaFamily } from '../../../src/training/families/xlmRoberta/xlmRobertaFamily.ts';
import { familyForwardEncoder, forwardEncoder } from '../../../src/training/inference/forwardEncoder.ts';
import { onnxRuntime, useOnnxRuntime, type OnnxRuntime } from '../../../src/training/inference/onnxRuntime.ts';
import type { SentenceEncoder } from '../../../src/training/models/sentenceEncoder.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';
import { makeTinyXlmRoberta, multilingualCorpus } from '../../helpers/xlmRobertaFixture.ts';
import { webOnnxRuntimeForNode } from '../../helpers/ortSession.ts';

const maxAbsDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i]![j]!)))));

afterEach(() => useOnnxRuntime(undefined));

describe('forward encoder on onnxruntime', () => {
  const cases = [
    { name: 'BERT', family: bertFamily, folder: () => makeTinyModel(), texts: tinyCorpus },
    { name: 'XLM-RoBERTa', family: xlmRobertaFamily, folder: () => makeTinyXlmRoberta(), texts: multilingualCorpus },
  ];
  for (const c of cases) {
    for (const [runtimeName, runtime] of [
      ['onnxruntime-node', () => nodeOnnxRuntime(2)],
      ['onnxruntime-web', webOnnxRuntimeForNode],
    ] as const) {
      it(`${c.name} on ${runtimeName} matches the tfjs encoder within 1e-5, in input order`, async () => {
        const encoder = (await c.family.load(folderSource(await c.folder()))) as SentenceEncoder;
        const forward = familyForwardEncoder(c.family, encoder, { runtime: runtime() });
        try {
          const texts = [...c.texts].reverse(); // not length-sorted: rows must come back in input order
          const ort = await forward.encode(texts, { batchSize: 3 });
          const ref = await encoder.encode(texts, { batchSize: 5 });
          expect(forward.engine).toMatch(/^onnxruntime-(node|web)/);
          expect(ort).toHaveLength(texts.length);
          expect(maxAbsDiff(ort, ref)).toBeLessThan(1e-5);
        } finally {
          await forward.release();
          encoder.dispose();
        }
      });
    }
  }

  it('snapshots the weights at the first encode: later training needs a new forward encoder', async () => {
    const encoder = (await bertFamily.load(folderSource(await makeTinyModel()))) as SentenceEncoder;
    const forward = familyForwardEncoder(bertFamily, encoder, { runtime: nodeOnnxRuntime(1) });
    try {
      const before = await forward.encode(tinyCorpus.slice(0, 4));
      const w = encoder.model.params.get('encoder.layer.0.output.dense.weight')!;
      w.assign(tf.tidy(() => w.mul(1.5)));
      const stale = await forward.encode(tinyCorpus.slice(0, 4));
      expect(maxAbsDiff(stale, before)).toBe(0);
      const fresh = familyForwardEncoder(bertFamily, encoder, { runtime: nodeOnnxRuntime(1) });
      const now = await fresh.encode(tinyCorpus.slice(0, 4));
      await fresh.release();
      expect(maxAbsDiff(now, before)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(now, await encoder.encode(tinyCorpus.slice(0, 4)))).toBeLessThan(1e-5);
    } finally {
      await forward.release();
      encoder.dispose();
    }
  });

  it('falls back to tfjs without a runtime, and says why when onnxruntime fails', async () => {
    const encoder = (await bertFamily.load(folderSource(await makeTinyModel()))) as SentenceEncoder;
    try {
      expect(onnxRuntime()).toBeUndefined();
      const none = familyForwardEncoder(bertFamily, encoder);
      const ref = await encoder.encode(tinyCorpus);
      expect(maxAbsDiff(await none.encode(tinyCorpus), ref)).toBe(0);
      expect(none.engine).toBe('tfjs (no onnxruntime here)');

      const broken: OnnxRuntime = { name: 'broken', createSession: () => Promise.reject(new Error('no wasm here')) };
      const warnings: string[] = [];
      const failing = familyForwardEncoder(bertFamily, encoder, { runtime: broken, onWarning: (m) => warnings.push(m) });
      expect(maxAbsDiff(await failing.encode(tinyCorpus), ref)).toBe(0);
      expect(failing.engine).toBe('tfjs (onnxruntime failed: no wasm here)');
      expect(warnings).toEqual(['onnxruntime unavailable for inference (no wasm here); using tfjs']);

      const noGraph = forwardEncoder(encoder, undefined, { runtime: nodeOnnxRuntime(1) });
      await noGraph.encode(['x']);
      expect(noGraph.engine).toBe('tfjs (this family builds no ONNX graph)');
    } finally {
      encoder.dispose();
    }
  });

  it('the installed runtime serves the family index (corpus and queries), and an abort stops it between batches', async () => {
    useOnnxRuntime(nodeOnnxRuntime(1));
    const encoder = (await bertFamily.load(folderSource(await makeTinyModel()))) as SentenceEncoder;
    const index = bertFamily.index(encoder, { ids: tinyCorpus.map((_, i) => `p${i}`), texts: tinyCorpus });
    try {
      const hits = await index.search([tinyCorpus[3]!], 1);
      expect(hits[0]!.ids).toEqual(['p3']);
      expect(index.engine).toBe('onnxruntime-node cpu, 1 thread');
      const ac = new AbortController();
      const forward = familyForwardEncoder(bertFamily, encoder);
      const pending = forward.encode(tinyCorpus, {
        batchSize: 2,
        signal: ac.signal,
        onProgress: (done) => done >= 2 && ac.abort(new Error('stop')),
      });
      await expect(pending).rejects.toThrow(/encode aborted after 2 of \d+ texts: stop/);
      await forward.release();
    } finally {
      await index.release?.();
      encoder.dispose();
    }
  });
});
