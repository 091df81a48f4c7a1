/**
 * The byte-level BPE pieces of CLIP's tokenizer (openai/CLIP simple_tokenizer.py, transformers CLIPTokenizer):
 * GPT-2's byte -> printable character table, CLIP's normalization and word splitting, and a small BPE merge
 * learner so `ftlab init --clip` can build a real tokenizer for a from-scratch model without downloads.
 */

/** GPT-2 bytes_to_unicode(): printable bytes map to themselves, the rest to U+0100 onwards; in CLIP vocab order. */
export function clipByteChars(): { byte: number; char: string }[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const out = bs.map((b) => ({ byte: b, char: String.fromCharCode(b) }));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) out.push({ byte: b, char: String.fromCharCode(256 + n++) });
  return out;
}

export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';
export const END_OF_WORD = '</w>';

/** The first 512 vocabulary entries of every CLIP tokenizer: each byte character, then each with "</w>". */
export function clipBaseVocab(): string[] {
  const chars = clipByteChars().map((c) => c.char);
  return [...chars, ...chars.map((c) => c + END_OF_WORD)];
}

// transformers' CLIPConverter pre-tokenizer: contractions, letter runs, single digits, other symbol runs.
export const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** Normalizer (NFC, whitespace runs -> " ", lowercase) then Split: the words BPE sees, as byte characters. */
export function clipWords(text: string): string[] {
  const byteChar = new Map(clipByteChars().map((c) => [c.byte, c.char]));
  const normalized = text.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase();
  const enc = new TextEncoder();
  return [...normalized.matchAll(new RegExp(CLIP_SPLIT_PATTERN, 'gu'))].map((m) => [...enc.encode(m[0])].map((b) => byteChar.get(b)!).join(''));
}

/** A word as its initial BPE symbols: one per character, the last one carrying "</w>". */
function symbols(word: string): string[] {
  const s = [...word];
  s[s.length - 1] += END_OF_WORD;
  return s;
}

/**
 * Learns up to `numMerges` BPE merges from `texts` (standard BPE training: repeatedly merge the most frequent
 * adjacent pair; ties go to the lexicographically smallest pair so the result is deterministic). Pairs seen
 * fewer than twice are not merged, and merges whose result is already a token are skipped, so every merge
 * adds exactly one vocabulary entry.
 */
export function learnClipMerges(texts: string[], numMerges: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of clipWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].map(([w, n]) => ({ syms: symbols(w), n }));
  const known = new Set(clipBaseVocab());
  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    const pairs = new Map<string, number>();
    for (const { syms, n } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]} ${syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    }
    let best: string | undefined;
    let bestN = 1;
    for (const [k, n] of pairs) {
      if (known.has(k.replace(' ', ''))) continue;
      if (n > bestN || (n === bestN && best !== undefined && k < best)) [best, bestN] = [k, n];
    }
    if (best === undefined) break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push([a, b]);
    known.add(a + b);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else {
          out.push(w.syms[i]!);
        }
      }
      w.syms = out;
    }
  }
  return merges;
}
