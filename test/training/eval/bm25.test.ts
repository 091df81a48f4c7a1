import { beforeAll, describe, expect, it } from 'vitest';
import { Bm25Index, bm25Tokens } from '../../../src/training/eval/bm25.ts';
import { allCosines, hybridTop, linearMix, reciprocalRankFusion } from '../../../src/training/eval/hybridRanking.ts';
import { evaluateRanking } from '../../../src/training/eval/rankingEvaluation.ts';
import { computeMetrics } from '../../../src/training/eval/metrics.ts';
import { normalizeRows, topRows, unit } from '../../../src/training/eval/topk.ts';
import type { Judgments } from '../../../src/training/data/judgments.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { runPythonReference } from '../../helpers/pythonReference.ts';

/** 300 random product texts over a 60-word vocabulary (Zipf-like, so some terms are rare and some common). */
const rng = new Rng(11);
const vocab = Array.from({ length: 60 }, (_, i) => `w${i}`);
const word = () => vocab[Math.min(59, Math.floor(60 * rng.next() ** 2))]!;
const docs = Array.from({ length: 300 }, () => Array.from({ length: 2 + rng.int(14) }, word).join(rng.next() < 0.5 ? ' ' : ', '));
const queries = [...Array.from({ length: 30 }, () => Array.from({ length: 1 + rng.int(4) }, word).join(' ')), 'nothing matches', 'w1 w1'];
const lists = [Array.from({ length: 300 }, (_, i) => (i * 37) % 300), Array.from({ length: 120 }, (_, i) => (i * 11 + 5) % 300)];
const cos = Array.from({ length: 300 }, () => 2 * rng.next() - 1);
const bm25Row = Array.from({ length: 300 }, () => (rng.next() < 0.3 ? 0 : 5 * rng.next()));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from bm25_reference.py
let ref: any[] = [];
beforeAll(() => {
  ref = runPythonReference('bm25_reference.py', [
    { mode: 'bm25', docs, queries },
    { mode: 'bm25', docs, queries, k1: 2, b: 0.3 },
    { mode: 'rrf', lists, rows: 300, k: 60, depth: 100 },
    { mode: 'mix', bm25: bm25Row, cos, weight: 0.7 },
  ]);
});

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1e-12, Math.abs(b[i]!)));
  return m;
};

describe('BM25', () => {
  it('scores a hand-computed case', () => {
    // N 3, |d| 2, 3, 2, avgdl 7/3; "red" and "shoe" each in 2 docs: idf ln(1 + 1.5/2.5) = ln 1.6.
    // |d| = 2: 1 / (1 + 1.2·(0.25 + 0.75·2·3/7)) = 14/29;  tf 2, |d| = 3: 2 / (2 + 1.2·(0.25 + 0.75·9/7)) = 70/121.
    const s = new Bm25Index(['red shoe', 'blue shoe shoe', 'red hat']).scores('red shoe');
    const ln = Math.log(1.6);
    expect(maxRel(s, [(2 * ln * 14) / 29, (ln * 70) / 121, (ln * 14) / 29])).toBeLessThan(1e-14);
  });

  it('tokenizes at Unicode word boundaries, lower-cased', () => {
    expect(bm25Tokens("Wi-Fi 3.5mm Kopfhörer, can't STOP! USB-C (2.0) foo@bar.com")).toEqual([
      'wi',
      'fi',
      '3.5mm',
      'kopfhörer',
      "can't",
      'stop',
      'usb',
      'c',
      '2.0',
      'foo',
      'bar.com',
    ]);
    expect(bm25Tokens(' ,;- ')).toEqual([]);
  });

  it('matches the Python reference on a random corpus, for default and other k1, b', () => {
    for (const [i, opts] of [{}, { k1: 2, b: 0.3 }].entries()) {
      const index = new Bm25Index(docs, opts);
      queries.forEach((q, j) => expect(maxRel(index.scores(q), ref[i].scores[j]), `${q} ${JSON.stringify(opts)}`).toBeLessThan(1e-12));
    }
  });

  it('searches only matching rows, best first, equal scores in corpus order', () => {
    const index = new Bm25Index(docs);
    for (const [j, q] of queries.entries()) {
      const s: number[] = ref[0].scores[j];
      const expected = s
        .map((v, r) => [v, r] as const)
        .filter(([v]) => v > 0)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, 25)
        .map(([, r]) => r);
      expect(Array.from(index.search(q, 25).indices), q).toEqual(expected);
    }
    expect(index.search('nothing matches', 10).indices).toHaveLength(0);
    expect(new Bm25Index(['a b', 'a b', 'b a', 'c']).search('a', 10).indices).toEqual(Int32Array.from([0, 1, 2]));
    expect(() => new Bm25Index(docs, { b: 2 })).toThrow(/0 ≤ b ≤ 1/);
  });

  it('topRows equals a full sort, ties included', () => {
    const scores = Float64Array.from({ length: 500 }, () => Math.round(rng.next() * 20));
    for (const k of [0, 1, 7, 100, 500, 600]) {
      const full = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
      expect(Array.from(topRows(scores, k).indices), `k ${k}`).toEqual(full.slice(0, k));
    }
  });
});

describe('hybrid fusion', () => {
  it('RRF and the linear mix match the Python reference', () => {
    expect(
      maxRel(
        reciprocalRankFusion(
          lists.map((l) => Int32Array.from(l)),
          300,
          60,
          100,
        ),
        ref[2].scores,
      ),
    ).toBeLessThan(1e-14);
    expect(maxRel(linearMix(Float64Array.from(bm25Row), Float64Array.from(cos), 0.7), ref[3].scores)).toBeLessThan(1e-14);
    expect(Array.from(linearMix(new Float64Array(3), Float64Array.from([0.5, -1, 0]), 2))).toEqual([1, -2, 0]);
  });

  it('hybridTop equals a brute-force ranking of the fused scores', () => {
    const index = new Bm25Index(docs);
    const m = normalizeRows(Array.from({ length: 300 }, () => Float32Array.from({ length: 8 }, () => rng.next() - 0.5)));
    for (const q of queries) {
      const qv = unit(Float32Array.from({ length: 8 }, () => rng.next() - 0.5));
      const c = allCosines(qv, m);
      const lexical = index.scores(q);
      const mix = linearMix(lexical, c, 1);
      const sortBy = (s: ArrayLike<number>) => Array.from({ length: 300 }, (_, r) => r).sort((a, b) => s[b]! - s[a]! || a - b);
      expect(Array.from(hybridTop(index, q, qv, m, 50, { fusion: 'mix' }).indices), q).toEqual(sortBy(mix).slice(0, 50));
      // RRF by hand: 1/(60 + rank) in the dense ranking plus in BM25's (matching rows only)
      const rrf = new Float64Array(300);
      sortBy(c).forEach((r, i) => (rrf[r] += 1 / (61 + i)));
      sortBy(lexical)
        .filter((r) => lexical[r]! > 0)
        .forEach((r, i) => (rrf[r] += 1 / (61 + i)));
      expect(Array.from(hybridTop(index, q, qv, m, 50, { fusion: 'rrf' }).indices), q).toEqual(sortBy(rrf).slice(0, 50));
    }
  });

  it('evaluates BM25 with the retrieval metrics, reporting judged products missing from the corpus', async () => {
    const ids = docs.map((_, i) => `p${i}`);
    const judgments: Judgments = new Map(
      queries.slice(0, 20).map((q, j) => [
        q,
        new Map([
          [`p${j * 7}`, 3],
          [`p${j * 3 + 1}`, 2],
          ['gone', 2],
        ]),
      ]),
    );
    const index = new Bm25Index(docs);
    const r = await evaluateRanking({ kind: 'bm25' }, index, ids, judgments);
    const rankings = new Map([...judgments.keys()].map((q) => [q, Array.from(index.search(q, 100).indices, (i) => ids[i]!)]));
    expect(r.metrics).toEqual(computeMetrics(rankings, judgments).metrics);
    expect(r.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(r.warnings?.[0]).toMatch(/20 judged docid\(s\) are not in the corpus/);
  });
});
