/**
 * Product corpora: the Chorus format (a JSON array of Icecat product objects, shipped as N.json.zip), plain
 * .json arrays, .jsonl (one object per line) and .csv (a header row naming the fields; empty cells are missing fields). Every product needs an `id` (string or integer); all other
 * fields are kept as-is for text templates and image URLs. Problems are reported with the file name and the
 * record index or line, because a silently shrunken corpus makes evaluation numbers meaningless.
 */
import { unzipSync } from 'fflate';
import Papa from 'papaparse';
import { compileTemplate } from './textTemplate.ts';
import { locateJsonError } from './jsonErrorLocation.ts';

export interface Product {
  id: string;
  fields: Record<string, unknown>;
}

export interface LoadedCorpus {
  products: Product[];
  /** ids seen more than once (only the first occurrence is kept) */
  duplicateIds: string[];
  warnings: string[];
}

export interface CorpusFile {
  name: string;
  bytes: Uint8Array;
}

export class CorpusError extends Error {
  override name = 'CorpusError';
}

type Format = 'json' | 'jsonl' | 'zip' | 'csv';

function detectFormat(name: string, bytes: Uint8Array): Format {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'zip';
  // Unknown extension: an array is a JSON document, anything else is read line by line.
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  return head.startsWith('[') ? 'json' : 'jsonl';
}

function toProduct(raw: unknown, where: () => string): Product {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CorpusError(`${where()}: expected a product object, found ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const fields = raw as Record<string, unknown>;
  const id = fields.id;
  if (id === undefined || id === null) throw new CorpusError(`${where()}: missing field "id"`);
  if (typeof id === 'number' && Number.isSafeInteger(id)) return { id: String(id), fields };
  if (typeof id !== 'string') throw new CorpusError(`${where()}: field "id" must be a string or an integer, found ${JSON.stringify(id)}`);
  if (!id.trim()) throw new CorpusError(`${where()}: field "id" is empty`);
  return { id, fields };
}

function parseJsonArray(name: string, text: string): Product[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const loc = locateJsonError(text);
    const at = loc
      ? ` at line ${loc.line}, column ${loc.column}${loc.recordIndex !== undefined ? ` (record ${loc.recordIndex})` : ''}: ${loc.reason}`
      : '';
    throw new CorpusError(`${name}: malformed JSON${at} (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(data)) {
    throw new CorpusError(
      `${name}: expected a JSON array of products, found ${data === null ? 'null' : typeof data}` +
        (data && typeof data === 'object' ? ` with keys ${Object.keys(data).slice(0, 5).join(', ')}` : ''),
    );
  }
  return data.map((raw, i) => toProduct(raw, () => `${name}: record ${i}`));
}

function parseJsonl(name: string, text: string): Product[] {
  const out: Product[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      const loc = locateJsonError(line);
      throw new CorpusError(
        `${name}: line ${n + 1}: malformed JSON${loc ? ` at column ${loc.column}: ${loc.reason}` : ''} (${(e as Error).message.split('\n')[0]})`,
      );
    }
    out.push(toProduct(raw, () => `${name}: line ${n + 1}`));
  }
  return out;
}

/** CSV with a header row; line numbers in messages are 1-based file lines (the header is line 1). */
function parseCsv(name: string, text: string): Product[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy' });
  const fatal = parsed.errors.find((e) => e.type === 'Quotes');
  if (fatal) throw new CorpusError(`${name}: line ${(fatal.row ?? 0) + 2}: ${fatal.message}`);
  const header = parsed.meta.fields ?? [];
  if (!header.includes('id')) {
    throw new CorpusError(
      `${name}: line 1: the header needs an "id" column (found: ${header.map((h) => JSON.stringify(h)).join(', ') || 'nothing'})`,
    );
  }
  const short = parsed.errors.find((e) => e.code === 'TooFewFields' || e.code === 'TooManyFields');
  if (short) throw new CorpusError(`${name}: line ${(short.row ?? 0) + 2}: ${short.message} (the header has ${header.length})`);
  // Line numbers follow rows; a quoted cell spanning lines shifts them, which papaparse cannot tell us cheaply.
  return parsed.data.map((row, i) => {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (k !== '__parsed_extra' && typeof v === 'string' && v.trim() !== '') fields[k] = v;
    if (fields.id === undefined) throw new CorpusError(`${name}: line ${i + 2}: field "id" is empty`);
    fields.id = String(fields.id).trim();
    return toProduct(fields, () => `${name}: line ${i + 2}`);
  });
}

const decoder = new TextDecoder('utf-8');

function parseFile(name: string, bytes: Uint8Array): Product[] {
  const format = detectFormat(name, bytes);
  if (format !== 'zip') {
    const text = decoder.decode(bytes);
    return format === 'json' ? parseJsonArray(name, text) : format === 'csv' ? parseCsv(name, text) : parseJsonl(name, text);
  }
  let entries: Record<string, Uint8Array>;
  try {
    // Directories and macOS resource forks are not data.
    entries = unzipSync(bytes, { filter: (f) => !f.name.endsWith('/') && !f.name.startsWith('__MACOSX/') });
  } catch (e) {
    throw new CorpusError(`${name}: not a readable zip archive (${(e as Error).message})`);
  }
  const names = Object.keys(entries)
    .filter((n) => /\.(json|jsonl|ndjson)$/i.test(n))
    .sort();
  if (!names.length) {
    throw new CorpusError(`${name}: the archive holds no .json or .jsonl file (found: ${Object.keys(entries).join(', ') || 'nothing'})`);
  }
  return names.flatMap((entry) => parseFile(`${name}:${entry}`, entries[entry]!));
}

function dedupe(products: Product[]): LoadedCorpus {
  const seen = new Set<string>();
  const dups = new Set<string>();
  const kept: Product[] = [];
  for (const p of products) {
    if (seen.has(p.id)) dups.add(p.id);
    else {
      seen.add(p.id);
      kept.push(p);
    }
  }
  const duplicateIds = [...dups];
  const warnings = duplicateIds.length
    ? [`${duplicateIds.length} product id(s) occur more than once; the first occurrence is kept: ${preview(duplicateIds)}`]
    : [];
  return { products: kept, duplicateIds, warnings };
}

export function preview(items: readonly string[], n = 5): string {
  return items.slice(0, n).join(', ') + (items.length > n ? `, ... (${items.length - n} more)` : '');
}

/** Loads one corpus file (.json, .json.zip/.zip, .jsonl, .csv); `name` is used in messages and to pick the format. */
export function loadCorpus(name: string, bytes: Uint8Array): LoadedCorpus {
  return dedupe(parseFile(name, bytes));
}

/** Merges several files (e.g. the four Chorus zips) in the given order; duplicates across files keep the first. */
export function loadCorpusFiles(files: readonly CorpusFile[]): LoadedCorpus {
  if (!files.length) throw new CorpusError('no corpus files given');
  return dedupe(files.flatMap((f) => parseFile(f.name, f.bytes)));
}

export interface CorpusTexts {
  ids: string[];
  texts: string[];
  /** ids whose template rendered empty; they are left out of ids/texts */
  emptyIds: string[];
  warnings: string[];
}

/**
 * Renders each product through the template. Products with no text cannot be embedded meaningfully, so they
 * are left out, but counted and named in a warning rather than dropped silently.
 */
export function corpusTexts(products: readonly Product[], template: string): CorpusTexts {
  const t = compileTemplate(template);
  const ids: string[] = [];
  const texts: string[] = [];
  const emptyIds: string[] = [];
  for (const p of products) {
    const text = t.render(p.fields);
    if (text) {
      ids.push(p.id);
      texts.push(text);
    } else emptyIds.push(p.id);
  }
  const warnings: string[] = [];
  if (emptyIds.length) {
    warnings.push(`${emptyIds.length} of ${products.length} products have no text for template "${template}" and are left out: ${preview(emptyIds)}`);
  }
  const unused = t.fields.filter((f) => !products.some((p) => p.fields[f] !== undefined && p.fields[f] !== null));
  if (unused.length && products.length) warnings.push(`template field(s) ${unused.map((f) => `{${f}}`).join(', ')} occur in no product`);
  return { ids, texts, emptyIds, warnings };
}
