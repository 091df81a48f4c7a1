/**
 * A WordPiece vocabulary learned from a corpus, the way Hugging Face tokenizers' WordPieceTrainer does it:
 * BERT basic tokenization, an alphabet of single characters (plain and `##` forms), then BPE-style merges
 * of the most frequent adjacent pieces until the vocabulary is full.
 *
 * Special-token layout (compact, as HF's BertWordPieceTokenizer trainer writes it, rather than BERT's
 * original [PAD]=0 / [unused*] / [UNK]=100 layout, which wastes 99 rows in a tiny model):
 *   [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4.
 */

export const bertSpecialTokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

export interface BasicTokenizeOptions {
  /** lowercase and strip accents (uncased BERT); default true */
  lowercase?: boolean;
}

const isControl = (c: string) => c !== '\t' && c !== '\n' && c !== '\r' && /\p{C}/u.test(c);
const isPunctuation = (c: string) => {
  const cp = c.codePointAt(0)!;
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || /\p{P}/u.test(c);
};
const isCjk = (cp: number) =>
  (cp >= 0x4e00 && cp <= 0x9fff) ||
  (cp >= 0x3400 && cp <= 0x4dbf) ||
  (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2b73f) ||
  (cp >= 0x2b740 && cp <= 0x2b81f) ||
  (cp >= 0x2b820 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0x2f800 && cp <= 0x2fa1f);

// Character classes as BertNormalizer / BertPreTokenizer see them: 0 drop, 1 space, 2 punctuation, 3 CJK, 4 other.
const asciiClass = new Uint8Array(128).map((_, cp) => {
  const c = String.fromCharCode(cp);
  return cp === 0 || isControl(c) ? 0 : /\s/.test(c) ? 1 : isPunctuation(c) ? 2 : 4;
});
const charClass = (c: string): number => {
  const cp = c.codePointAt(0)!;
  if (cp < 128) return asciiClass[cp];
  if (cp === 0xfffd || isControl(c)) return 0;
  return /\s/u.test(c) ? 1 : isCjk(cp) ? 3 : isPunctuation(c) ? 2 : 4;
};

/** BertNormalizer + BertPreTokenizer: the words WordPiece sees. */
export function bertBasicTokenize(text: string, opts: BasicTokenizeOptions = {}): string[] {
  let s = '';
  for (const c of text) {
    const k = charClass(c);
    if (k !== 0) s += k === 1 ? ' ' : k === 3 ? ` ${c} ` : c;
  }
  // eslint-disable-next-line no-control-regex
  if ((opts.lowercase ?? true) && /[^\x00-\x7f]/.test(s)) s = s.normalize('NFD').replace(/\p{Mn}/gu, '');
  if (opts.lowercase ?? true) s = s.toLowerCase();
  const words: string[] = [];
  for (const chunk of s.split(' ')) {
    let cur = '';
    for (const c of chunk) {
      if (charClass(c) === 2) {
        if (cur) words.push(cur);
        words.push(c);
        cur = '';
      } else cur += c;
    }
    if (cur) words.push(cur);
  }
  return words;
}

export interface WordPieceVocabOptions extends BasicTokenizeOptions {
  /** pairs seen fewer times are never merged (HF BertWordPieceTokenizer.train default: 2) */
  minFrequency?: number;
}

/**
 * Max-heap of candidate merges (count, pair key) in growable typed arrays (millions of pushes on a large
 * corpus; tuples would keep the GC busy). Ties go to the smaller key, i.e. the smaller (a, b) ids.
 */
class PairHeap {
  private counts = new Float64Array(1024);
  private keys = new Float64Array(1024);
  size = 0;
  private before(i: number, j: number) {
    const c = this.counts,
      k = this.keys;
    return c[i] !== c[j] ? c[i] > c[j] : k[i] < k[j];
  }
  private swap(i: number, j: number) {
    const c = this.counts,
      k = this.keys;
    const ci = c[i],
      ki = k[i];
    c[i] = c[j];
    k[i] = k[j];
    c[j] = ci;
    k[j] = ki;
  }
  push(count: number, key: number) {
    if (this.size === this.counts.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.counts = grow(this.counts);
      this.keys = grow(this.keys);
    }
    let i = this.size++;
    this.counts[i] = count;
    this.keys[i] = key;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** removes the top entry and returns [count, key] */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const last = --this.size;
    this.counts[0] = this.counts[last];
    this.keys[0] = this.keys[last];
    for (let i = 0; ;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < last && this.before(l, m)) m = l;
      if (r < last && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

/** Token strings in id order; deterministic for a given corpus order. */
export function buildWordPieceVocab(texts: readonly string[], vocabSize: number, opts: WordPieceVocabOptions = {}): string[] {
  const minFrequency = opts.minFrequency ?? 2;
  const wordCounts = new Map<string, number>();
  const charCounts = new Map<string, number>();
  for (const text of texts) {
    for (const w of bertBasicTokenize(text, opts)) {
      if ([...w].length > 100) continue; // WordPiece maps such words to [UNK] anyway
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      for (const c of w) charCounts.set(c, (charCounts.get(c) ?? 0) + 1);
    }
  }
  const tokens: string[] = [...bertSpecialTokens];
  if (vocabSize < tokens.length) throw new Error(`vocabSize ${vocabSize} is smaller than the ${tokens.length} special tokens`);
  // Every character gets a plain and a ## form; with a tiny budget the rarest characters are left to [UNK].
  const room = Math.floor((vocabSize - tokens.length) / 2);
  const alphabet = [...charCounts.entries()]
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, room)
    .map(([c]) => c)
    .sort();
  tokens.push(...alphabet, ...alphabet.map((c) => `##${c}`));
  const ids = new Map(tokens.map((t, i) => [t, i]));

  const words: { syms: number[]; count: number }[] = [];
  for (const [w, count] of wordCounts) {
    const chars = [...w];
    if (chars.every((c) => ids.has(c))) words.push({ syms: chars.map((c, i) => ids.get(i ? `##${c}` : c)!), count });
  }
  const K = 2 ** 22;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();
  // Heap entries are pushed only when a count grows; an entry popped with a stale (higher) count is
  // re-queued with the current one, so the first entry popped at its true count is the real maximum.
  const add = (key: number, delta: number, wi: number) => {
    const n = (pairCount.get(key) ?? 0) + delta;
    pairCount.set(key, n);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(wi);
      heap.push(n, key);
    }
  };
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.syms.length; i++) add(w.syms[i] * K + w.syms[i + 1], w.count, wi);
  });
  while (tokens.length < vocabSize) {
    if (heap.size === 0) break;
    const [n, key] = heap.pop();
    const a = Math.floor(key / K),
      b = key % K;
    const current = pairCount.get(key) ?? 0;
    if (current !== n) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (n < minFrequency) break;
    const merged = tokens[a] + tokens[b].slice(2);
    let id = ids.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      ids.set(merged, id);
    }
    for (const wi of pairWords.get(key)!) {
      const w = words[wi];
      const out: number[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(w.syms[i]);
      }
      if (out.length === w.syms.length) continue;
      const delta = new Map<number, number>();
      for (let i = 0; i + 1 < w.syms.length; i++) {
        const k = w.syms[i] * K + w.syms[i + 1];
        delta.set(k, (delta.get(k) ?? 0) - w.count);
      }
      for (let i = 0; i + 1 < out.length; i++) {
        const k = out[i] * K + out[i + 1];
        delta.set(k, (delta.get(k) ?? 0) + w.count);
      }
      for (const [k, d] of delta) if (d !== 0) add(k, d, wi);
      w.syms = out;
    }
    pairWords.delete(key);
  }
  return tokens;
}
