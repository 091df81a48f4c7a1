/**
 * Offline query generation: shopper-style queries built from product attributes, with no model and no download,
 * so the kata's GenQ path (MNRL on (generated query, source product)) runs anywhere.
 *
 * Rules (the terms come from productTerms.ts: brand, catalogue type, shopper synonyms of the type, feature
 * words, colour, series, the product's own model code):
 *   type           "toner cartridge"            the catalogue type, or one of its shopper synonyms ("laptop")
 *   brand type     "xerox toner cartridge"      brand + type (or synonym)
 *   type brand     "bluetooth speaker sony"     type + brand
 *   feature type   "aa battery", "sd card"      a feature word or colour of the product + the type's head noun
 *                                               (or the whole type when it is short)
 *   series         "hp elitebook notebook"      brand + series word(s) [+ head noun]
 *   title words    "usb audio adapter"          2-3 consecutive content words of the title
 *   brand          "sony"                       the brand alone (rare: shoppers do search brands)
 *   model          "brother tn-2110 toner"      brand + the product's own code + head noun; the only template
 *                                               that keeps a word with digits, and the rarest
 * Everything is lowercase, 1-5 words, never containing sizes, units, pack counts, stop words at the edges or
 * codes other than the product's own. The head noun is put in the plural now and then ("bluetooth speakers"),
 * as shoppers type both. For each product, `perProduct` (default 3) distinct queries are drawn by seeded
 * weighted sampling of the templates that apply; products with no type and no content words get none (they are
 * reported by generateOfflineQueriesReport). The same seed and corpus give the same queries.
 */
import type { Product } from './corpus.ts';
import type { Query } from './queries.ts';
import { Rng } from '../random/rng.ts';
import { typeSynonyms } from './offlineQueryRules.ts';
import { corpusTermStats, productTerms, type ProductTerms } from './productTerms.ts';

export interface OfflineQueryOptions {
  perProduct?: number;
  seed?: number;
  /** probability of putting the head noun in the plural (default 0.2) */
  pluralRate?: number;
}

export interface OfflineQueryReport {
  queries: Query[];
  /** products that yielded no query (no type, no usable title words) */
  skippedIds: string[];
}

type Template = (t: ProductTerms, rng: Rng) => string | undefined;

const pick = <T>(xs: readonly T[], rng: Rng): T | undefined => (xs.length ? xs[rng.int(xs.length)] : undefined);

function typeVariants(t: ProductTerms): string[] {
  const out = [t.type, ...(typeSynonyms[t.type] ?? [])];
  if (t.altType) out.push(t.altType, ...(typeSynonyms[t.altType] ?? []));
  return [...new Set(out.filter(Boolean))];
}

const head = (type: string) => type.split(' ').at(-1) ?? '';

const irregular: Record<string, string> = { mouse: 'mice', man: 'men', foot: 'feet', child: 'children' };

export function pluralize(word: string): string {
  if (irregular[word]) return irregular[word];
  if (/(s|x|z|ch|sh)$/.test(word)) return /(ss|x|z|ch|sh)$/.test(word) ? `${word}es` : word;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(fe)$/.test(word)) return `${word.slice(0, -2)}ves`;
  return `${word}s`;
}

const templates: Record<string, { weight: number; make: Template }> = {
  type: { weight: 2, make: (t, rng) => pick(typeVariants(t), rng) },
  brandType: { weight: 3, make: (t, rng) => t.brand && joinQ(t.brand, pick(typeVariants(t), rng)) },
  typeBrand: { weight: 1, make: (t, rng) => t.brand && joinQ(pick(typeVariants(t), rng), t.brand) },
  featureType: {
    weight: 3,
    make: (t, rng) => {
      const type = pick(typeVariants(t), rng);
      const mod = pick(
        t.modifiers.filter((m) => !type?.split(' ').includes(m)),
        rng,
      );
      if (!type || !mod) return undefined;
      return joinQ(mod, type.split(' ').length <= 2 && rng.next() < 0.5 ? type : head(type));
    },
  },
  series: {
    weight: 1,
    make: (t, rng) => (t.series.length && t.brand ? joinQ(t.brand, t.series.join(' '), rng.next() < 0.5 ? head(t.type) : '') : undefined),
  },
  titleWords: {
    weight: 1,
    make: (t, rng) => {
      if (t.content.length < 2) return undefined;
      const n = Math.min(t.content.length, 2 + rng.int(2));
      const start = rng.int(t.content.length - n + 1);
      return joinQ(...t.content.slice(start, start + n));
    },
  },
  brand: { weight: 0.5, make: (t) => (t.type ? t.brand || undefined : undefined) },
  model: { weight: 0.5, make: (t) => (t.code && t.brand && t.type ? joinQ(t.brand, t.code, head(t.type)) : undefined) },
};

/** templates whose last word is the type's head noun */
const pluralizable = new Set(['type', 'brandType', 'featureType']);

function joinQ(...parts: (string | undefined)[]): string | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const words = parts.join(' ').split(' ').filter(Boolean);
  const deduped = words.filter((w, i) => w !== words[i - 1]);
  return deduped.length ? deduped.join(' ') : undefined;
}

function pluralizeLast(q: string): string {
  const words = q.split(' ');
  words[words.length - 1] = pluralize(words[words.length - 1]!);
  return words.join(' ');
}

/** Queries for every product that has usable attributes, plus the ids of products that had none. */
export function generateOfflineQueriesReport(products: readonly Product[], opts: OfflineQueryOptions = {}): OfflineQueryReport {
  const perProduct = opts.perProduct ?? 3;
  const pluralRate = opts.pluralRate ?? 0.2;
  const rng = new Rng(opts.seed ?? 42);
  const stats = corpusTermStats(products);
  const names = Object.keys(templates);
  const queries: Query[] = [];
  const skippedIds: string[] = [];
  for (const p of products) {
    const terms = productTerms(p, stats);
    const seen = new Set<string>();
    const weights = names.map((n) => templates[n]!.weight);
    // Several attempts per template: a template with random parts can give another query on a second draw.
    for (let tries = 0; seen.size < perProduct && tries < perProduct * 6; tries++) {
      const total = weights.reduce((a, b) => a + b, 0);
      if (total <= 0) break;
      let r = rng.next() * total;
      let i = 0;
      while (r >= weights[i]! && i < weights.length - 1) r -= weights[i++]!;
      let q = templates[names[i]!]!.make(terms, rng);
      weights[i] = weights[i]! / 2;
      if (!q || q.split(' ').length > 5) {
        weights[i] = 0;
        continue;
      }
      if (pluralizable.has(names[i]!) && rng.next() < pluralRate) q = pluralizeLast(q);
      // "hdd notebook" and "hdd notebooks" are one query for training purposes.
      const key = q.replace(/ies$/, 'y').replace(/(?<!s)s$/, '');
      if (!seen.has(key)) {
        seen.add(key);
        queries.push({ text: q, sourceDocId: p.id });
      }
    }
    if (!seen.size) skippedIds.push(p.id);
  }
  return { queries, skippedIds };
}

export function generateOfflineQueries(products: readonly Product[], opts: OfflineQueryOptions = {}): Query[] {
  return generateOfflineQueriesReport(products, opts).queries;
}
