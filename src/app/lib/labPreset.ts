/**
 * Shareable setups: a lab preset is plain data (which data, family, base model, query source, the
 * hyper-parameters, the quick-run slice, the evaluation cadence) that a link carries — `?preset=<name>` for
 * the named ones below, `#config=<base64url JSON>` for any other. Every field is checked here; a bad one
 * gets a message naming it, and the page keeps its defaults.
 */

export interface LabPreset {
  /** 'chorus': load the bundled catalogue and dev judgments, then open Configure */
  data?: 'chorus';
  /** keep the judged products plus the first N others (the quick-run slice); null = the whole catalogue */
  slice?: number | null;
  family?: 'text' | 'clip';
  model?: 'scratch' | 'curated' | 'custom';
  /** the Hub id for model 'curated' or 'custom' */
  modelId?: string;
  mode?: 'unsupervised' | 'supervised';
  querySource?: 'offline' | 'imported';
  perProduct?: number;
  maxProducts?: number | null;
  teacher?: 'none' | 'hub';
  crossEncoderId?: string;
  genqNegative?: 'none' | 'top-k' | 'mined';
  hardNegatives?: number;
  epochs?: number;
  steps?: number | null;
  batchSize?: number;
  lr?: number;
  warmupRatio?: number;
  weightDecay?: number;
  seed?: number;
  evalEvery?: number;
  lock?: 'none' | 'text' | 'image';
}

type Check = (v: unknown) => string | undefined;
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`;
const int =
  (min: number, nullable = false): Check =>
  (v) =>
    (nullable && v === null) || (typeof v === 'number' && Number.isInteger(v) && v >= min)
      ? undefined
      : `must be a whole number ≥ ${min}${nullable ? ' or null' : ''}`;
const num =
  (min: number, max = Infinity, open = false): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (open ? v > min : v >= min) && v <= max
      ? undefined
      : `must be a number ${open ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`;
const text: Check = (v) => (typeof v === 'string' && v.trim() !== '' && v.length <= 200 ? undefined : 'must be a non-empty text');

const fields: Record<keyof LabPreset, Check> = {
  data: oneOf('chorus'),
  slice: int(0, true),
  family: oneOf('text', 'clip'),
  model: oneOf('scratch', 'curated', 'custom'),
  modelId: text,
  mode: oneOf('unsupervised', 'supervised'),
  querySource: oneOf('offline', 'imported'),
  perProduct: int(1),
  maxProducts: int(1, true),
  teacher: oneOf('none', 'hub'),
  crossEncoderId: text,
  genqNegative: oneOf('none', 'top-k', 'mined'),
  hardNegatives: int(0),
  epochs: int(1),
  steps: int(1, true),
  batchSize: int(2),
  lr: num(0, 1, true),
  warmupRatio: num(0, 1),
  weightDecay: num(0),
  seed: int(0),
  evalEvery: int(0),
  lock: oneOf('none', 'text', 'image'),
};

export class PresetError extends Error {
  override name = 'PresetError';
}

/** Checks a decoded preset (`where` names its origin in messages); unknown fields are errors too, so a typo is never silently ignored. */
export function checkPreset(value: unknown, where: string): LabPreset {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PresetError(`${where}: must be a JSON object of settings`);
  const problems: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const check = fields[k as keyof LabPreset];
    if (!check) problems.push(`unknown setting "${k}" (known: ${Object.keys(fields).join(', ')})`);
    else {
      const why = check(v);
      if (why) problems.push(`"${k}" ${why}, got ${JSON.stringify(v)}`);
    }
  }
  const p = value as LabPreset;
  if (p.modelId !== undefined && p.model !== 'curated' && p.model !== 'custom') problems.push('"modelId" needs "model": "curated" or "custom"');
  if (problems.length) throw new PresetError(`${where}: ${problems.join('; ')}`);
  return { ...p };
}

const toBase64Url = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const fromBase64Url = (s: string) =>
  new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));

/** `#config=` of a preset (what "Copy link to this setup" appends to the page's address). */
export function encodePreset(preset: LabPreset): string {
  return `#config=${toBase64Url(JSON.stringify(preset))}`;
}

export interface PresetLink {
  /** the preset to apply, when the link carries a valid one */
  preset?: LabPreset;
  /** its name, for `?preset=` links */
  name?: string;
  /** why the link's preset was not applied (the page then keeps its defaults) */
  error?: string;
}

/** Reads `?preset=` (a named preset) or `#config=` from a page address's search and hash. */
export function presetFromLink(search: string, hash: string, named: Readonly<Record<string, NamedPreset>>): PresetLink {
  const name = new URLSearchParams(search).get('preset');
  const config = new URLSearchParams(hash.replace(/^#/, '')).get('config');
  if (name !== null) {
    const found = Object.hasOwn(named, name) ? named[name] : undefined;
    if (!found) return { error: `Unknown preset "${name}" in the link (known: ${Object.keys(named).join(', ')}). The lab opened with its defaults.` };
    return { preset: found.preset, name };
  }
  if (config === null) return {};
  try {
    let decoded: unknown;
    try {
      decoded = JSON.parse(fromBase64Url(config));
    } catch {
      throw new PresetError('#config: is not base64url-encoded JSON (was the link cut short?)');
    }
    return { preset: checkPreset(decoded, '#config') };
  } catch (e) {
    return { error: `The link's setup was not applied — ${(e as Error).message}. The lab opened with its defaults.` };
  }
}

export interface NamedPreset {
  title: string;
  /** what a teacher reads before handing out the link: what it runs and how long it took here */
  about: string;
  preset: LabPreset;
}
