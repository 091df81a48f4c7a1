/**
 * The words of a product that a shopper could search for, read from catalogue fields (Icecat/Chorus layout:
 * title, supplier, name, attr_t_*). Icecat titles are composed as "<brand> [series] <model> <category>
 * <attribute values>", and the category is the lowercase run of words in them ("toner cartridge",
 * "usb flash drive"). So the product type is found as the lowercase run of the title that is most frequent as a
 * run across the whole corpus; attr_t_product_type and the head noun of a descriptive title are fallbacks.
 */
import type { Product } from './corpus.ts';
import { adjectives, colours, digitWords, featureWords, shopperBrand, stopWords, units } from './offlineQueryRules.ts';

export interface Token {
  raw: string;
  lower: string;
}

export interface ProductTerms {
  brand: string;
  /** the catalogue category, lowercase ("toner cartridge"), or '' */
  type: string;
  /** attr_t_product_type when it differs from `type` */
  altType: string;
  /** the product's own code ("tn-2110") when its name is a single model number */
  code: string;
  /** series/line words between brand and model ("elitebook", "canvas react") */
  series: string[];
  /** feature words and colours found in the title or attributes ("bluetooth", "aa", "black") */
  modifiers: string[];
  /** content words of the title's first segment, in order (no numbers, codes, units, stop words, brand) */
  content: string[];
}

export interface CorpusTermStats {
  /** products whose title (or short description) has this lowercase run */
  runFreq: Map<string, number>;
  /** products whose title has this lowercased word */
  wordFreq: Map<string, number>;
  /** frequent runs (>= 3 products) that end in this word: evidence that the word is a noun */
  headFreq: Map<string, number>;
}

const strip = /^[("'“”‘’[{,;:!?*®™]+|[)"'“”‘’\]},;:!?*®™.]+$/g;

export function tokenize(text: string): Token[] {
  return text
    .replace(/[®™©]/g, ' ')
    .split(/\s+/)
    .map((t) => t.replace(strip, ''))
    .filter((t) => t && t !== '+' && t !== '&' && t !== '/')
    .map((raw) => ({ raw, lower: raw.toLowerCase() }));
}

/** A token with a digit that is not a known shopper word (ps4, 4k, aa is digit-free anyway) is a code or size. */
export function isCodeLike(lower: string): boolean {
  return /\d/.test(lower) && !digitWords.has(lower);
}

function isWord(lower: string): boolean {
  return /^[a-z][a-z'-]*(\/[a-z][a-z-]*)?$/.test(lower) && !isCodeLike(lower);
}

const isFiller = (lower: string) => stopWords.has(lower) || units.has(lower);

export interface Run {
  text: string;
  /** the token before the run, lowercased ('' at the start) */
  prev: string;
}

/** Runs of lowercase words (as written) that are neither stop words, units nor colours: category candidates. */
export function lowercaseRuns(tokens: Token[], maxWords = 4): Run[] {
  const runs: Run[] = [];
  let cur: string[] = [];
  let prev = '';
  tokens.forEach((t, i) => {
    if (t.raw === t.lower && isWord(t.lower) && !isFiller(t.lower) && !colours.has(t.lower) && (t.lower.length > 2 || t.lower === 'pc')) {
      if (!cur.length) prev = tokens[i - 1]?.lower ?? '';
      cur.push(t.lower);
      return;
    }
    if (cur.length && cur.length <= maxWords) runs.push({ text: cur.join(' '), prev });
    cur = [];
  });
  if (cur.length && cur.length <= maxWords) runs.push({ text: cur.join(' '), prev });
  return runs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export function corpusTermStats(products: readonly Product[]): CorpusTermStats {
  const runFreq = new Map<string, number>();
  const wordFreq = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const p of products) {
    const title = str(p.fields.title);
    const runs = [...lowercaseRuns(tokenize(title)), ...lowercaseRuns(tokenize(str(p.fields.short_description)))];
    new Set(runs.map((r) => r.text)).forEach((r) => bump(runFreq, r));
    new Set(tokenize(title).map((t) => t.lower)).forEach((w) => bump(wordFreq, w));
  }
  const headFreq = new Map<string, number>();
  for (const [run, f] of runFreq) if (f >= minRunFreq) bump(headFreq, run.split(' ').at(-1)!);
  return { runFreq, wordFreq, headFreq };
}

const minRunFreq = 3;
const badTypes = new Set(['original', 'other', 'others', 'yes', 'no', 'standard', 'compatible', 'n/a', 'none', 'unknown']);

function cleanType(v: string): string {
  const t = v
    .toLowerCase()
    .replace(/\(.*?\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const words = t.split(' ');
  // "Spares and accessories" and the like describe a catalogue section, not something a shopper types.
  if (!t || badTypes.has(t) || words.length > 4 || !words.every((w) => isWord(w) && !isFiller(w))) return '';
  return t;
}

/** The most frequent known run; a feature word written just before it joins it ("USB flash drive"). */
function bestRun(runs: Run[], stats: CorpusTermStats): string {
  // A run of several lowercase words seen in two products is already a category; single words need three.
  let best: Run | undefined;
  let bestFreq = 0;
  for (const r of runs) {
    const f = stats.runFreq.get(r.text) ?? 0;
    if (adjectives.has(r.text.split(' ').at(-1)!)) continue; // "digital and analog": no noun, no category
    if (f > bestFreq && f >= (r.text.includes(' ') ? 2 : minRunFreq)) [best, bestFreq] = [r, f];
  }
  if (!best) return '';
  return featureWords.has(best.prev) && best.text.split(' ').length <= 2 && !best.text.includes(best.prev) ? `${best.prev} ${best.text}` : best.text;
}

/** Everything before " - ", "(", " for ", " with ": the part of a descriptive title that names the product. */
function firstSegment(tokens: Token[]): Token[] {
  const end = tokens.findIndex((t, i) => i > 0 && (/^(for|with|w\/|incl|including|-|–)$/.test(t.lower) || t.raw.startsWith('(')));
  return end > 0 ? tokens.slice(0, end) : tokens;
}

function contentWords(tokens: Token[], brandWords: Set<string>, nameSet: Set<string>): string[] {
  return firstSegment(tokens)
    .map((t) => t.lower)
    .filter((w) => isWord(w) && !isFiller(w) && !brandWords.has(w) && !nameSet.has(w) && !colours.has(w));
}

/**
 * Descriptive titles ("Mini 4 Port USB 2.0 Hub"): the head noun is the last content word known from other titles,
 * with the word before it when that is a feature word or the pair is a known category ("usb hub", "ink cartridge").
 */
function headPhrase(content: string[], stats: CorpusTermStats): string {
  const nouns = content.filter((w) => (stats.headFreq.get(w) ?? 0) >= 2 && !adjectives.has(w));
  const known = content.filter((w) => (stats.wordFreq.get(w) ?? 0) >= minRunFreq && !adjectives.has(w));
  const pick = nouns.at(-1) ?? known.at(-1);
  for (let i = content.length - 1; i >= 0; i--) {
    const head = content[i]!;
    if (head !== pick) continue;
    const prev = content[i - 1];
    return prev && (featureWords.has(prev) || (stats.runFreq.get(`${prev} ${head}`) ?? 0) >= minRunFreq) ? `${prev} ${head}` : head;
  }
  return '';
}

export function productTerms(p: Product, stats: CorpusTermStats): ProductTerms {
  const title = str(p.fields.title) || str(p.fields.name);
  const supplier = str(p.fields.supplier);
  const brand = shopperBrand(supplier).split(' ').slice(0, 2).join(' ');
  const brandWords = new Set([...brand.split(' '), ...supplier.toLowerCase().split(/\s+/)]);
  let tokens = tokenize(title);
  while (tokens.length && brandWords.has(tokens[0]!.lower)) tokens = tokens.slice(1);

  const nameTokens = tokenize(str(p.fields.name)).map((t) => t.lower);
  const code = nameTokens.length === 1 && isCodeLike(nameTokens[0]!) && nameTokens[0]!.length <= 14 ? nameTokens[0]! : '';
  const nameSet = new Set(nameTokens.filter(isCodeLike));

  const altType = cleanType(str(p.fields.attr_t_product_type));
  // Runs in the first segment of the title beat the product_type attribute, which beats the title's head noun,
  // which beats runs after "for"/"with" (often the compatible device: "... for select UPS systems").
  const first = firstSegment(tokens);
  const content = contentWords(tokens, brandWords, nameSet);
  const description = tokenize(str(p.fields.short_description));
  const type =
    bestRun(lowercaseRuns(first), stats) ||
    altType ||
    headPhrase(content, stats) ||
    bestRun(lowercaseRuns(tokens.slice(first.length)), stats) ||
    bestRun(lowercaseRuns(description), stats) ||
    headPhrase(contentWords(description, brandWords, nameSet), stats);

  // Series: capitalised words between the brand and the model code ("HP EliteBook 840 G5 Notebook").
  const series: string[] = [];
  const codeAt = tokens.findIndex((t) => nameSet.has(t.lower) || isCodeLike(t.lower));
  for (const t of tokens.slice(0, Math.max(codeAt, 0))) {
    if (series.length >= 2 || t.raw === t.lower || !isWord(t.lower) || isFiller(t.lower) || type.split(' ').includes(t.lower)) break;
    series.push(t.lower);
  }

  const typeWords = new Set(type.split(' '));
  const modifiers = [...new Set(tokens.map((t) => t.lower).filter((w) => featureWords.has(w) && !typeWords.has(w)))];
  const colour = str(p.fields.attr_t_product_colour).toLowerCase().split(/[,/]/)[0]!.trim();
  const titleColour = tokens.find((t) => colours.has(t.lower))?.lower;
  for (const c of [colour, titleColour]) if (c && colours.has(c) && !modifiers.includes(c)) modifiers.push(c);
  return { brand, type, altType: altType !== type ? altType : '', code, series, modifiers, content };
}
