/**
 * BM25 as Solr 9 (Lucene ≥ 8) scores it, over the same product texts the dense models embed: the lexical
 * baseline of every evaluation, the BM25 side of hybrid ranking, and a source of hard negatives.
 *
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avgdl))
 *   idf(t)      = ln(1 + (N − df + 0.5) / (df + 0.5))
 *
 * k1 1.2 and b 0.75 are Solr's defaults; Lucene dropped the constant (k1 + 1) factor of the classic
 * formula (LUCENE-8563), so scores equal Solr's (`debugQuery`), not the textbook's. |d| counts tokens,
 * repeats included; avgdl is the corpus mean. A term repeated in the query counts once per repeat, as
 * Lucene's boolean query does. What differs from Solr: Lucene stores |d| in one lossy byte (exact for short
 * texts such as product titles, within a few percent for long ones), and queries here are OR over terms
 * (Chorus' param sets add `mm=100%`).
 *
 * Tokens: Unicode word boundaries (UAX #29, Intl.Segmenter), word-like segments lower-cased — the
 * StandardTokenizer + LowerCaseFilter of Solr's text_general, no stemming, no stop words. ("Wi-Fi" → wi, fi;
 * "3.5mm" and "can't" stay one token; Lucene splits Chinese/Japanese into single characters where
 * Intl.Segmenter uses a dictionary.)
 *
 * I wrote this rather than use MiniSearch (7.2.0, the best-kept JS search library): its scores multiply
 * by the number of matched query terms and its field lengths count distinct terms, so its rankings are not
 * Solr's BM25.
 */
import { topRows, type RowHits } from './topk.ts';

export interface Bm25Options {
  k1?: number;
  b?: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

/** The analysis applied to product texts and queries alike. */
export function bm25Tokens(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment.toLowerCase());
  return out;
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  readonly avgdl: number;
  private readonly terms = new Map<string, number>();
  private readonly postingDocs: Int32Array[] = [];
  private readonly postingTfs: Uint16Array[] = [];
  /** k1 · (1 − b + b · |d| / avgdl), per document */
  private readonly lengthNorm: Float64Array;

  constructor(texts: readonly string[], opts: Bm25Options = {}) {
    this.k1 = opts.k1 ?? 1.2;
    this.b = opts.b ?? 0.75;
    if (!(this.k1 >= 0) || !(this.b >= 0 && this.b <= 1)) throw new RangeError(`BM25 needs k1 ≥ 0 and 0 ≤ b ≤ 1, got k1 ${this.k1}, b ${this.b}`);
    this.size = texts.length;
    const docs: number[][] = [];
    const tfs: number[][] = [];
    const lengths = new Float64Array(texts.length);
    texts.forEach((text, d) => {
      const counts = new Map<number, number>();
      const tokens = bm25Tokens(text);
      lengths[d] = tokens.length;
      for (const tok of tokens) {
        let t = this.terms.get(tok);
        if (t === undefined) {
          t = docs.length;
          this.terms.set(tok, t);
          docs.push([]);
          tfs.push([]);
        }
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      for (const [t, c] of counts) {
        docs[t]!.push(d);
        tfs[t]!.push(Math.min(c, 0xffff));
      }
    });
    for (let t = 0; t < docs.length; t++) {
      this.postingDocs.push(Int32Array.from(docs[t]!));
      this.postingTfs.push(Uint16Array.from(tfs[t]!));
    }
    this.avgdl = texts.length ? lengths.reduce((s, v) => s + v, 0) / texts.length : 0;
    const avg = this.avgdl || 1;
    this.lengthNorm = lengths.map((len) => this.k1 * (1 - this.b + (this.b * len) / avg));
  }

  /** Documents containing the (analysed) term. */
  docFreq(term: string): number {
    const t = this.terms.get(term);
    return t === undefined ? 0 : this.postingDocs[t]!.length;
  }

  idf(term: string): number {
    return this.idfOf(this.docFreq(term));
  }

  private idfOf(df: number): number {
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** The query's score for every corpus row (0 where no term matches). */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.size);
    for (const tok of bm25Tokens(query)) {
      const t = this.terms.get(tok);
      if (t === undefined) continue;
      const docs = this.postingDocs[t]!;
      const tfs = this.postingTfs[t]!;
      const idf = this.idfOf(docs.length);
      for (let i = 0; i < docs.length; i++) {
        const tf = tfs[i]!;
        out[docs[i]!] += (idf * tf) / (tf + this.lengthNorm[docs[i]!]!);
      }
    }
    return out;
  }

  /** The query's score for a text outside the index, with the corpus' idf and mean length (a positive's score). */
  scoreText(query: string, text: string): number {
    const counts = new Map<string, number>();
    const tokens = bm25Tokens(text);
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const norm = this.k1 * (1 - this.b + (this.b * tokens.length) / (this.avgdl || 1));
    let s = 0;
    for (const tok of bm25Tokens(query)) {
      const tf = counts.get(tok) ?? 0;
      if (tf) s += (this.idf(tok) * tf) / (tf + norm);
    }
    return s;
  }

  /** The top-k matching rows; equal scores keep corpus order (Lucene's doc-id order). */
  search(query: string, k: number): RowHits {
    return topRows(this.scores(query), k, (s) => s > 0);
  }
}
