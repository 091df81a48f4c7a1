import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Loss } from '../../../src/training/losses/loss.ts';
import { createLoss, lossNames, registerLoss, validateRowsForLoss } from '../../../src/training/losses/registry.ts';
import { validateLossRows } from '../../../src/training/losses/validateRows.ts';

describe('loss registry', () => {
  it('registers the built-in losses, each declaring the columns it reads', () => {
    expect(lossNames).toEqual(expect.arrayContaining(['mnrl', 'margin-mse', 'clip']));
    for (const name of lossNames) {
      const loss = createLoss(name);
      expect(loss.name).toBe(name);
      expect(loss.columns.filter((c) => !c.optional).length).toBeGreaterThan(0);
      for (const c of loss.columns) expect(['text', 'number']).toContain(c.type);
    }
    expect(createLoss('mnrl').columns.find((c) => c.name === 'negative')?.optional).toBe(true);
    expect(createLoss('margin-mse').columns.find((c) => c.name === 'margin')?.type).toBe('number');
  });

  it('names the supported losses for an unknown one', () => {
    expect(() => createLoss('cosent')).toThrow(`unknown loss "cosent" (supported: ${lossNames.join(', ')})`);
    expect(() => validateRowsForLoss([{ query: 'a', positive: 'b' }], 'cosent')).toThrow(
      /unknown loss "cosent" \(supported: mnrl, cached-mnrl, margin-mse, clip/,
    );
  });

  it('refuses a name registered twice', () => {
    expect(() => registerLoss('mnrl', () => createLoss('mnrl') as Loss<unknown, unknown>)).toThrow(/already registered/);
  });

  it('rejects rows that miss a declared column, naming the source and the row', () => {
    const rows = [
      { query: 'a', positive: 'b' },
      { query: 'c', positive: ' ' },
    ];
    expect(() => createLoss('mnrl').validateRows(rows, 'train.jsonl')).toThrow('train.jsonl: row 2 has no "positive" (mnrl needs query, positive)');
    expect(() => validateRowsForLoss([{ query: 'a', positive: 'b', negative: 'c', margin: Number.NaN }], 'margin-mse', 'gpl.jsonl')).toThrow(
      'gpl.jsonl: row 1 has no "margin" (margin-mse needs query, positive, negative, margin)',
    );
    expect(() => createLoss('clip').validateRows([{ text: 'a', image: '' }])).toThrow(
      'training data: row 1 has no "image" (the clip loss needs {"text", "image"} rows)',
    );
  });

  it('a newly registered loss is created by name and validated from its own columns', () => {
    registerLoss('test-cosent', () => {
      const loss: Loss<unknown, unknown> = {
        name: 'test-cosent',
        columns: [
          { name: 'sentence1', type: 'text' },
          { name: 'sentence2', type: 'text' },
          { name: 'score', type: 'number' },
        ],
        validateRows: (rows, source) => validateLossRows(loss, rows, source),
        compute: () => tf.scalar(0),
      };
      return loss;
    });
    expect(lossNames).toContain('test-cosent');
    const rows = [
      { sentence1: 'a', sentence2: 'b', score: 0.5 },
      { sentence1: 'a', sentence2: 'b' },
    ];
    expect(() => validateRowsForLoss(rows.slice(0, 1) as never, 'test-cosent')).not.toThrow();
    expect(() => validateRowsForLoss(rows as never, 'test-cosent', 'sts.jsonl')).toThrow(
      'sts.jsonl: row 2 has no "score" (test-cosent needs sentence1, sentence2, score)',
    );
  });
});
