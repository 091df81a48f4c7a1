import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import { jsonLines, runCliOk, tempDir } from '../../helpers/cli.ts';
import { runPythonReference } from '../../helpers/pythonReference.ts';
import { expectStepsMatch, fileOrderBatch, parityTrainFlags, weightDiffs, type ParityHyper } from '../../helpers/trainReference.ts';
import { makeTinyModel, tinyCorpus } from '../../helpers/fixtures.ts';

/**
 * `ftlab train --no-shuffle --dropout 0` for 5 steps against an independent float64 reference of
 * sentence-transformers' training step (numpy forward, finite-difference gradients, torch AdamW/clip/schedule).
 */
const rows = [
  { query: 'running shoes', positive: 'Red running shoes for men, size 42', negative: 'Ceramic coffee mug 350ml', margin: 2.5 },
  { query: 'water bottle for kids', positive: 'Stainless steel water bottle 750ml', negative: 'Kids rain jacket, yellow, hooded', margin: 0.7 },
  { query: 'cheap headphones', positive: 'Over-ear headphones, foldable, black', negative: 'USB-C charging cable 2m braided', margin: 1.2 },
  { query: 'coffee machine', positive: 'Café espresso machine with milk frother', negative: 'Ceramic coffee mug 350ml', margin: 0.3 },
  { query: 'leather wallet men', positive: "Men's leather wallet with RFID blocking", negative: 'Yoga mat non-slip 6mm extra thick', margin: 3.0 },
  { query: 'usb c cable', positive: 'USB-C charging cable 2m braided', negative: 'Fast charger 65W USB-C power adapter', margin: -0.4 },
];
const batchSize = 4;
const steps = 5;
const hyper: ParityHyper = { lr: 3e-4, weight_decay: 0.01, warmup_steps: 2, total_steps: steps, scheduler: 'linear', max_grad_norm: 0.5 };

let model: string;
let data: string;

beforeAll(async () => {
  // one layer, 8 wide: small enough for finite differences over every live parameter
  model = await makeTinyModel(undefined, {
    hidden: 8,
    layers: 1,
    heads: 2,
    intermediate: 16,
    vocabSize: 120,
    maxSeqLength: 16,
    texts: tinyCorpus,
    seed: 5,
  });
  data = path.join(tempDir('ftlab-parity-'), 'rows.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});

async function referenceSteps(loss: 'mnrl' | 'margin-mse') {
  const encoder = await loadSentenceEncoder(folderSource(model));
  const cols = ['query', 'positive', 'negative'] as const;
  const batches = Array.from({ length: steps }, (_, k) => {
    const batch = fileOrderBatch(rows, batchSize, k);
    const columns = Object.fromEntries(
      cols.map((c) => {
        const t = encoder.tokenizer.encode(
          batch.map((r) => r[c]),
          encoder.config.maxSeqLength,
        );
        const grid = (a: Int32Array) => Array.from({ length: t.batchSize }, (_, i) => Array.from(a.slice(i * t.seqLen, (i + 1) * t.seqLen)));
        return [c, { input_ids: grid(t.inputIds), attention_mask: grid(t.attentionMask), token_type_ids: grid(t.tokenTypeIds) }];
      }),
    );
    return { columns, margins: batch.map((r) => r.margin) };
  });
  encoder.dispose();
  const request = { model_dir: model, loss, pooling: 'mean', normalize: true, scale: 20, ...hyper, steps: batches };
  return runPythonReference<{ losses: number[]; grad_norms: number[]; weights: Record<string, number[]> }>('st_train_reference.py', request);
}

describe.each(['mnrl', 'margin-mse'] as const)('training parity with sentence-transformers (%s)', (loss) => {
  it('5 steps with warmup, weight decay and clipping match the float64 reference', async () => {
    // batch boundaries follow rows, so 6 rows / batch 4 = batches of 4, 2, 4, 2, 4
    const [ref, run] = await Promise.all([
      referenceSteps(loss),
      (async () => {
        const out = path.join(tempDir('ftlab-parity-out-'), 'model');
        const args = ['train', '--model', model, '--data', data, '--loss', loss, '--output', out, ...parityTrainFlags(hyper, batchSize)];
        const r = await runCliOk([...args, '--scale', '20', '--dropout', '0']);
        return { events: jsonLines(r.stdout).filter((e) => e.type === 'step'), out };
      })(),
    ]);
    expectStepsMatch(run.events, ref, hyper);
    const diffs = weightDiffs(run.out, model, ref.weights);
    const worst = Math.max(...diffs.map((d) => d.diff / d.scale));
    const moved = Math.max(...diffs.map((d) => d.moved));
    console.log(
      `${loss}: max weight diff / max |weight| per tensor = ${worst.toExponential(2)}; largest update ${moved.toExponential(2)}; ref losses ${ref.losses.map((l) => l.toFixed(5))}`,
    );
    expect(moved).toBeGreaterThan(1e-4);
    expect(worst).toBeLessThan(1e-4);
  });
});
