import { beforeAll, describe, expect, it } from 'vitest';
import { computeMetrics, metricNames, queryMetrics } from '../../../src/training/eval/metrics.ts';
import { cosineTopK, normalizeRows } from '../../../src/training/eval/topk.ts';
import { RetrievalEvaluator } from '../../../src/training/eval/retrievalEvaluator.ts';
import type { EncodeOptions, EvaluationProgress, TextEncoderLike } from '../../../src/training/eval/evaluator.ts';
import type { Judgments } from '../../../src/training/data/judgments.ts';
import { Rng } from '../../../src/training/random/rng.ts';
import { runPythonReference } from '../../helpers/pythonReference.ts';

const toObject = (j: Judgments) => Object.fromEntries([...j].map(([q, m]) => [q, Object.fromEntries(m)]));

/** 50 random queries with random graded judgments and random rankings over 300 docs. */
const randomRun = (() => {
  const rng = new Rng(7);
  const judgments: Judgments = new Map();
  const runs = new Map<string, string[]>();
  for (let q = 0; q < 50; q++) {
    const judged = new Map<string, number>();
    const nJudged = 1 + rng.int(40);
    for (let j = 0; j < nJudged; j++) judged.set(`d${rng.int(300)}`, rng.int(4));
    if (q % 7 === 0) judged.set(`d${rng.int(300)}`, 3);
    judgments.set(`query ${q}`, judged);
    runs.set(
      `query ${q}`,
      rng
        .permutation(300)
        .slice(0, 50 + rng.int(150))
        .map((i) => `d${i}`),
    );
  }
  return { judgments, runs };
})();
const metricCases = [
  { k: 10, relevanceThreshold: 2 },
  { k: 5, relevanceThreshold: 1 },
];

const letterDim = 12;
const letterTable = (() => {
  const rng = new Rng(99);
  return Array.from({ length: 26 }, () => Array.from(Float32Array.from({ length: letterDim }, () => rng.normal())));
})();

/**
 * Embeds text as the sum of one random row per letter a–z (the same definition as the Python reference).
 * Random rows, unlike plain letter counts, make exact score ties between different texts vanishingly rare,
 * so both implementations must produce the same ranking; identical texts still tie exactly.
 */
class BagOfLetters implements TextEncoderLike {
  calls: { n: number; batchSize?: number }[] = [];
  async encode(texts: string[], opts: EncodeOptions = {}): Promise<Float32Array[]> {
    this.calls.push({ n: texts.length, batchSize: opts.batchSize });
    const out = texts.map((t) => {
      const v = new Float64Array(letterDim);
      for (const ch of t.toLowerCase()) {
        if (ch >= 'a' && ch <= 'z') letterTable[ch.charCodeAt(0) - 97]!.forEach((x, j) => (v[j] += x));
      }
      return Float32Array.from(v);
    });
    opts.onProgress?.(texts.length, texts.length);
    return out;
  }
}

function evaluatorFixture(seed: number) {
  const rng = new Rng(seed);
  const word = () => Array.from({ length: 3 + rng.int(6) }, () => String.fromCharCode(97 + rng.int(26))).join('');
  const texts = Array.from({ length: 300 }, () => Array.from({ length: 1 + rng.int(4) }, word).join(' '));
  for (let i = 0; i < 30; i++) texts[290 - i] = texts[i * 3]!; // duplicate texts: exact score ties
  const ids = texts.map((_, i) => `p${1000 + i}`);
  const judgments: Judgments = new Map();
  for (let q = 0; q < 20; q++) {
    const judged = new Map<string, number>();
    for (let j = 0; j < 12; j++) judged.set(ids[rng.int(ids.length)]!, rng.int(4));
    // the query borrows a word of one relevant doc, so a letter-bag encoder ranks better than chance
    const target = rng.int(ids.length);
    judged.set(ids[target]!, 2 + rng.int(2));
    judgments.set(`${texts[target]!.split(' ')[0]} ${word()}`, judged);
  }
  judgments.set(
    'zz only weak',
    new Map([
      [ids[0]!, 1],
      [ids[1]!, 0],
    ]),
  ); // no relevant doc: skipped
  judgments.values().next().value!.set('ghost-product', 3); // judged but absent from the corpus
  return { corpus: { ids, texts }, judgments };
}

// seed chosen so the reference finds no near-ties (see `ambiguous`), which would make rankings implementation-defined
const evalData = evaluatorFixture(1);
const evalCases = [
  { k: 10, relevanceThreshold: 2 },
  { k: 5, relevanceThreshold: 1 },
];

// One interpreter start for every reference value (starting python + numpy costs seconds on a busy machine).
// the numpy script's JSON answers, read field by field below
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from metrics_reference.py
let reference: any[] = [];
beforeAll(() => {
  const requests = [
    ...metricCases.map((o) => ({
      mode: 'metrics',
      runs: Object.fromEntries(randomRun.runs),
      judgments: toObject(randomRun.judgments),
      k: o.k,
      threshold: o.relevanceThreshold,
    })),
    ...evalCases.map((o) => ({
      mode: 'end2end',
      corpus: evalData.corpus,
      judgments: toObject(evalData.judgments),
      k: o.k,
      threshold: o.relevanceThreshold,
      letterTable,
    })),
  ];
  reference = runPythonReference('metrics_reference.py', requests);
});

describe('queryMetrics (hand-computed)', () => {
  // judged: a=3, b=2, c=0, d=1, e=3 (e is never retrieved); threshold 2 -> relevant {a, b, e}
  const judged = new Map([
    ['a', 3],
    ['b', 2],
    ['c', 0],
    ['d', 1],
    ['e', 3],
  ]);
  const ranked = ['c', 'a', 'x', 'b', 'd'];

  it('computes nDCG/MRR/recall/MAP at k=10', () => {
    const { numRelevant, metrics } = queryMetrics(ranked, judged);
    // DCG  = 0/log2(2) + (2^3-1)/log2(3) + 0/log2(4) + (2^2-1)/log2(5) + (2^1-1)/log2(6)
    //      = 7/1.5849625 + 3/2.3219281 + 1/2.5849625 = 4.4165083 + 1.2920297 + 0.3868528 = 6.0953908
    // IDCG = ratings sorted [3,3,2,1,0]: 7/1 + 7/1.5849625 + 3/2 + 1/2.3219281 + 0 = 7 + 4.4165083 + 1.5 + 0.4306766 = 13.3471849
    // nDCG = 6.0953908 / 13.3471849 = 0.4566799
    expect(numRelevant).toBe(3);
    expect(metrics['ndcg@10']).toBeCloseTo(6.0953908 / 13.3471849, 7);
    expect(metrics['ndcg@10']).toBeCloseTo(0.4566799, 6);
    // first relevant (a) at rank 2
    expect(metrics['mrr@10']).toBe(0.5);
    // a and b retrieved out of {a, b, e}
    expect(metrics['recall@10']).toBeCloseTo(2 / 3, 15);
    expect(metrics['recall@100']).toBeCloseTo(2 / 3, 15);
    // precision at relevant ranks: rank 2 -> 1/2, rank 4 -> 2/4; sum 1 over min(3, 100) = 1/3
    expect(metrics['map@100']).toBeCloseTo(1 / 3, 15);
    expect(Object.keys(metrics)).toEqual(metricNames());
  });

  it('substitutes the chosen k into names and cut-offs', () => {
    const { metrics } = queryMetrics(ranked, judged, { k: 3 });
    expect(Object.keys(metrics)).toEqual(['ndcg@3', 'mrr@3', 'recall@3', 'recall@100', 'map@100']);
    // top 3 = c, a, x: DCG = 7/1.5849625 = 4.4165083; IDCG@3 = 7 + 4.4165083 + 1.5 = 12.9165083 -> 0.3419274
    expect(metrics['ndcg@3']).toBeCloseTo(0.3419274, 6);
    expect(metrics['mrr@3']).toBe(0.5);
    expect(metrics['recall@3']).toBeCloseTo(1 / 3, 15); // only a in the top 3
    expect(metrics['recall@100']).toBeCloseTo(2 / 3, 15);
  });

  it('honours the relevance threshold', () => {
    const { numRelevant, metrics } = queryMetrics(ranked, judged, { relevanceThreshold: 1 });
    // relevant {a, b, d, e}: precision at ranks 2, 4, 5 = 1/2, 2/4, 3/5 -> (0.5 + 0.5 + 0.6) / 4 = 0.4
    expect(numRelevant).toBe(4);
    expect(metrics['map@100']).toBeCloseTo(0.4, 15);
    expect(metrics['recall@10']).toBeCloseTo(3 / 4, 15);
    // nDCG uses graded gains whatever the threshold
    expect(metrics['ndcg@10']).toBeCloseTo(0.4566799, 6);
  });

  it('gives no MRR credit past k but counts deeper hits for recall@100 and MAP', () => {
    const deep = Array.from({ length: 20 }, (_, i) => `n${i}`);
    deep[10] = 'a'; // rank 11
    const { metrics } = queryMetrics(deep, new Map([['a', 3]]));
    expect(metrics['mrr@10']).toBe(0);
    expect(metrics['ndcg@10']).toBe(0);
    expect(metrics['recall@10']).toBe(0);
    expect(metrics['recall@100']).toBe(1);
    expect(metrics['map@100']).toBeCloseTo(1 / 11, 15); // precision@11 = 1/11, one relevant doc
  });

  it('divides MAP by min(|relevant|, 100)', () => {
    const docs = Array.from({ length: 150 }, (_, i) => `r${i}`);
    const { metrics } = queryMetrics(docs, new Map(docs.map((d) => [d, 2])));
    // the first 100 ranks are all relevant: Σ precision = 100, / min(150, 100) = 1
    expect(metrics['map@100']).toBeCloseTo(1, 15);
    expect(metrics['recall@100']).toBeCloseTo(100 / 150, 15);
    expect(metrics['ndcg@10']).toBeCloseTo(1, 15);
  });

  it('averages over queries with a relevant doc and lists the others', () => {
    const judgments: Judgments = new Map([
      ['q1', new Map([['a', 3]])],
      ['q2', new Map([['b', 1]])], // nothing >= 2: skipped
      [
        'q3',
        new Map([
          ['c', 2],
          ['d', 2],
        ]),
      ],
    ]);
    const rankings = new Map([
      ['q1', ['a']],
      ['q3', ['x', 'c']],
    ]);
    const s = computeMetrics(rankings, judgments);
    expect(s.skippedQueries).toEqual(['q2']);
    expect(s.queries.map((q) => q.query)).toEqual(['q1', 'q3']);
    // MRR: q1 = 1, q3 = 1/2 -> mean 0.75; recall: 1 and 1/2 -> 0.75
    expect(s.metrics['mrr@10']).toBeCloseTo(0.75, 15);
    expect(s.metrics['recall@10']).toBeCloseTo(0.75, 15);
    // q3 nDCG = (3/log2 3) / (3 + 3/log2 3) = 1.8927893/4.8927893 = 0.3868528; mean with 1 -> 0.6934264
    expect(s.metrics['ndcg@10']).toBeCloseTo(0.6934264, 6);
    expect(() => computeMetrics(new Map(), judgments)).toThrow(/no ranking for judged query "q1"/);
  });
});

describe('metrics against the Python reference', () => {
  it('agrees on 50 random queries to 1e-9', () => {
    for (const [i, opts] of metricCases.entries()) {
      const ours = computeMetrics(randomRun.runs, randomRun.judgments, opts);
      const ref = reference[i];
      expect(ours.skippedQueries).toEqual(ref.skipped);
      expect(ours.queries.length).toBe(Object.keys(ref.queries).length);
      expect(ours.queries.length).toBeGreaterThan(30);
      for (const q of ours.queries) {
        const r = ref.queries[q.query];
        expect(q.numRelevant).toBe(r.numRelevant);
        for (const name of metricNames(opts)) expect(Math.abs(q.metrics[name]! - r[name])).toBeLessThanOrEqual(1e-9);
      }
      for (const name of metricNames(opts)) expect(Math.abs(ours.metrics[name]! - ref.means[name])).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('cosineTopK', () => {
  function bruteForce(queries: Float32Array[], corpus: Float32Array[], k: number) {
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return queries.map((q) => {
      const scored = corpus.map((d, i) => {
        const n = norm(q) * norm(d);
        return { i, s: n ? d.reduce((s, x, j) => s + x * q[j]!, 0) / n : 0 };
      });
      scored.sort((a, b) => b.s - a.s || a.i - b.i);
      return scored.slice(0, k);
    });
  }

  it('breaks exact ties by corpus order', () => {
    const corpus = [
      [1, 0],
      [0, 1],
      [1, 0],
      [2, 0],
      [1, 1],
    ].map((v) => Float32Array.from(v));
    const [hit] = cosineTopK([Float32Array.from([3, 0])], corpus, 4);
    // cosines: 1, 0, 1, 1, 0.7071 -> rows 0, 2, 3 tie at 1 and keep their order
    expect(Array.from(hit!.indices)).toEqual([0, 2, 3, 4]);
    expect(hit!.scores[3]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('matches a brute-force sort, ties included, for any query block size', () => {
    const rng = new Rng(11);
    const dim = 24;
    const pool = Array.from({ length: 40 }, () => Float32Array.from({ length: dim }, () => rng.normal()));
    // 600 rows drawn from 40 distinct vectors (scaled copies too): many exact ties
    const corpus = Array.from({ length: 600 }, () => {
      const v = pool[rng.int(pool.length)]!;
      return rng.next() < 0.3 ? v.map((x) => x * 2) : v;
    });
    corpus[5] = new Float32Array(dim); // a zero vector scores 0
    const queries = Array.from({ length: 45 }, () => Float32Array.from({ length: dim }, () => rng.normal()));
    const expected = bruteForce(queries, corpus, 130);
    const matrix = normalizeRows(corpus);
    for (const queryBlock of [1, 7, 64]) {
      const got = cosineTopK(queries, matrix, 130, { queryBlock });
      got.forEach((hit, qi) => {
        expect(Array.from(hit.indices)).toEqual(expected[qi]!.map((e) => e.i));
        hit.scores.forEach((s, r) => expect(Math.abs(s - expected[qi]![r]!.s)).toBeLessThan(1e-5));
      });
    }
    // k larger than the corpus returns the whole corpus
    const all = cosineTopK(queries.slice(0, 2), corpus.slice(0, 9), 50);
    expect(Array.from(all[0]!.indices)).toEqual(bruteForce(queries.slice(0, 1), corpus.slice(0, 9), 50)[0]!.map((e) => e.i));
  });

  it('rejects mismatched dimensions and bad k', () => {
    expect(() => cosineTopK([new Float32Array(3)], [new Float32Array(4)], 1)).toThrow(/3 dimensions, expected 4/);
    expect(() => cosineTopK([new Float32Array(3)], [new Float32Array(3)], 0)).toThrow(/positive integer/);
  });
});

describe('RetrievalEvaluator', () => {
  it('reproduces the Python reference end to end with a bag-of-letters encoder', async () => {
    const { corpus, judgments } = evalData;
    const evaluator = new RetrievalEvaluator(corpus, judgments, { batchSize: 16, name: 'chorus-dev' });
    expect(evaluator.name).toBe('chorus-dev');
    expect(evaluator.primaryMetric).toBe('ndcg@10');
    const encoder = new BagOfLetters();
    const phases: EvaluationProgress['phase'][] = [];
    const result = await evaluator.evaluate(encoder, { onProgress: (p) => phases.push(p.phase) });

    const ref = reference[2];
    expect(ref.ambiguous).toEqual([]); // no near-ties between different texts: the ranking is well defined
    expect(result.skippedQueries).toEqual(['zz only weak']);
    expect(result.queries.length).toBe(20);
    for (const q of result.queries) {
      const r = ref.queries[q.query];
      expect(q.numRelevant).toBe(r.numRelevant);
      for (const name of metricNames()) expect(Math.abs(q.metrics[name]! - r[name])).toBeLessThanOrEqual(1e-9);
    }
    for (const name of metricNames()) expect(Math.abs(result.metrics[name]! - ref.means[name])).toBeLessThanOrEqual(1e-9);
    // the data must make the metrics informative, not all zero or all one
    expect(result.metrics['ndcg@10']).toBeGreaterThan(0.05);
    expect(result.metrics['recall@100']).toBeLessThan(1);

    expect(evaluator.missingJudged).toEqual([`${[...judgments.keys()][0]} / ghost-product`]);
    expect(result.warnings!.join('\n')).toMatch(/1 judged docid\(s\) are not in the corpus \(1 of them relevant\).*ghost-product/);
    expect(encoder.calls).toEqual([
      { n: 300, batchSize: 16 },
      { n: 20, batchSize: 16 },
    ]);
    expect(phases).toEqual(['corpus', 'queries', 'search', 'search']);
  });

  it('uses the configured k and threshold', async () => {
    const { corpus, judgments } = evalData;
    const evaluator = new RetrievalEvaluator(corpus, judgments, evalCases[1]);
    expect(evaluator.primaryMetric).toBe('ndcg@5');
    const result = await evaluator.evaluate(new BagOfLetters());
    const ref = reference[3];
    expect(ref.ambiguous).toEqual([]);
    expect(result.skippedQueries).toEqual([]);
    expect(Object.keys(result.metrics)).toEqual(['ndcg@5', 'mrr@5', 'recall@5', 'recall@100', 'map@100']);
    for (const name of metricNames({ k: 5 })) expect(Math.abs(result.metrics[name]! - ref.means[name])).toBeLessThanOrEqual(1e-9);
  });

  it('stops when aborted and rejects unusable inputs', async () => {
    const { corpus, judgments } = evalData;
    const ctl = new AbortController();
    ctl.abort();
    await expect(new RetrievalEvaluator(corpus, judgments).evaluate(new BagOfLetters(), { signal: ctl.signal })).rejects.toThrow();
    expect(() => new RetrievalEvaluator({ ids: ['a', 'a'], texts: ['x', 'y'] }, judgments)).toThrow(/duplicate ids/);
    expect(() => new RetrievalEvaluator(corpus, new Map([['q', new Map([['p1000', 1]])]]))).toThrow(/no judged query has a doc rated 2/);
  });
});
