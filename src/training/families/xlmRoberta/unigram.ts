/**
 * A SentencePiece-style Unigram vocabulary learned from a corpus, deterministically: words as the tokenizer
 * sees them (NFKC, whitespace collapsed, "▁" before each word), every character as a piece (so no text seen
 * in training falls back to <unk>), frequent substrings as candidates, then a few EM rounds that segment the
 * words with Viterbi under the current log-probabilities, re-estimate them from the piece counts and prune
 * the least used pieces. Scores are log-probabilities, as in a SentencePiece model. (SentencePiece itself
 * adds a digamma correction and loss-based pruning; this is the same model, learned more simply.)
 */

export const METASPACE = '\u2581';

export interface UnigramOptions {
  /** the Lowercase normalizer; default false (XLM-R is cased) */
  lowercase?: boolean;
  /** longest piece, in characters; default 16 (SentencePiece's max_sentencepiece_length) */
  maxPieceLength?: number;
}

/** A text as the tokenizer.json normalizer and Metaspace pre-tokenizer split it: words starting with "▁". */
export function unigramWords(text: string, lowercase = false): string[] {
  let t = text.normalize('NFKC');
  if (lowercase) t = t.toLowerCase();
  t = t.replace(/\s+/gu, ' ').trim();
  return t === '' ? [] : t.split(' ').map((w) => METASPACE + w);
}

const byCountThenText = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Best segmentation of `chars` under `scores` (log-probabilities); every single character must be scored. */
function viterbi(chars: string[], scores: Map<string, number>, maxLen: number): string[] {
  const n = chars.length;
  const best = new Float64Array(n + 1).fill(-Infinity);
  const from = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 0; i < n; i++) {
    if (best[i] === -Infinity) continue;
    let piece = '';
    for (let len = 1; len <= maxLen && i + len <= n; len++) {
      piece += chars[i + len - 1];
      const s = scores.get(piece);
      if (s !== undefined && best[i]! + s > best[i + len]!) {
        best[i + len] = best[i]! + s;
        from[i + len] = i;
      }
    }
  }
  const out: string[] = [];
  for (let end = n; end > 0; end = from[end]!) out.push(chars.slice(from[end]!, end).join(''));
  return out.reverse();
}

const logProbs = (counts: Map<string, number>) => {
  let total = 0;
  for (const c of counts.values()) total += c;
  return new Map([...counts].map(([p, c]) => [p, Math.log(c / total)]));
};

/**
 * Up to `size` pieces with their scores, best first (more when the corpus has more distinct characters,
 * which are always kept). Special tokens are not included.
 */
export function learnUnigram(texts: readonly string[], size: number, opts: UnigramOptions = {}): [string, number][] {
  const maxLen = opts.maxPieceLength ?? 16;
  const words = new Map<string, number>();
  for (const text of texts) for (const w of unigramWords(text, opts.lowercase)) words.set(w, (words.get(w) ?? 0) + 1);
  const split = [...words].map(([w, f]) => [Array.from(w), f] as const);

  const chars = new Map<string, number>();
  const substrings = new Map<string, number>();
  for (const [cs, f] of split) {
    for (let i = 0; i < cs.length; i++) {
      chars.set(cs[i]!, (chars.get(cs[i]!) ?? 0) + f);
      let piece = cs[i]!;
      for (let len = 2; len <= maxLen && i + len <= cs.length; len++) {
        piece += cs[i + len - 1];
        substrings.set(piece, (substrings.get(piece) ?? 0) + f);
      }
    }
  }
  // Seed with the substrings that would save the most characters, several times the target size.
  const seeds = [...substrings].filter(([, c]) => c >= 2).map(([p, c]) => [p, c * Array.from(p).length] as [string, number]);
  seeds.sort(byCountThenText);
  let counts = new Map<string, number>([...chars, ...seeds.slice(0, 4 * size).map(([p]) => [p, substrings.get(p)!] as [string, number])]);

  const rounds = 4;
  for (let round = 0; round < rounds; round++) {
    const scores = logProbs(counts);
    const used = new Map<string, number>();
    for (const [cs, f] of split) for (const p of viterbi(cs, scores, maxLen)) used.set(p, (used.get(p) ?? 0) + f);
    // characters stay whatever their use; other pieces shrink towards the target each round
    const keep = Math.max(0, Math.ceil(size - chars.size + (counts.size - size) * (1 - (round + 1) / rounds)));
    const multi = [...used]
      .filter(([p]) => !chars.has(p))
      .sort(byCountThenText)
      .slice(0, keep);
    counts = new Map([...[...chars.keys()].map((c) => [c, used.get(c) ?? 0.5] as [string, number]), ...multi]);
  }
  return [...logProbs(counts)].sort(byCountThenText);
}
