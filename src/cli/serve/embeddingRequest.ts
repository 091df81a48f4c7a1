/**
 * The request body of Chorus' embeddings service (embeddings/app/embeddings.py, a pydantic model):
 *   text: str (required), output_format: "float_list" | "string" = "float_list",
 *   separator: str | None = None, normalize: bool = True
 * validated the way FastAPI/pydantic v2 does, with its 422 error bodies, so clients that parse those
 * (or humans reading them) see what they would see from the Python service.
 */

export interface EmbeddingRequest {
  text: string;
  outputFormat: 'float_list' | 'string';
  /** used with output_format "string"; "," when absent or null (the Python service would crash on None) */
  separator: string;
  normalize: boolean;
}

export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export type Parsed = { ok: true; request: EmbeddingRequest } | { ok: false; status: number; body: { detail: ValidationIssue[] } };

// pydantic's lax bool: these strings and 0/1 are accepted
const trueStrings = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const falseStrings = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (trueStrings.has(s)) return true;
    if (falseStrings.has(s)) return false;
  }
  return undefined;
}

/** Parses and validates a raw body. Malformed JSON is a 400 (FastAPI says 422; the brief of this server asks 400). */
export function parseEmbeddingRequest(raw: string): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    return {
      ok: false,
      status: 400,
      body: { detail: [{ type: 'json_invalid', loc: ['body', pos ? Number(pos[1]) : 0], msg: 'JSON decode error', input: {}, ctx: { error: msg } }] },
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      status: 422,
      body: {
        detail: [
          { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body },
        ],
      },
    };
  }
  const o = body as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (!('text' in o)) issues.push({ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: o });
  else if (typeof o.text !== 'string')
    issues.push({ type: 'string_type', loc: ['body', 'text'], msg: 'Input should be a valid string', input: o.text });
  let outputFormat: EmbeddingRequest['outputFormat'] = 'float_list';
  if (o.output_format !== undefined) {
    if (o.output_format === 'float_list' || o.output_format === 'string') outputFormat = o.output_format;
    else {
      issues.push({
        type: 'enum',
        loc: ['body', 'output_format'],
        msg: "Input should be 'float_list' or 'string'",
        input: o.output_format,
        ctx: { expected: "'float_list' or 'string'" },
      });
    }
  }
  let separator = ',';
  if (o.separator !== undefined && o.separator !== null) {
    if (typeof o.separator === 'string') separator = o.separator;
    else issues.push({ type: 'string_type', loc: ['body', 'separator'], msg: 'Input should be a valid string', input: o.separator });
  }
  let normalize = true;
  if (o.normalize !== undefined) {
    const b = bool(o.normalize);
    if (b === undefined)
      issues.push({
        type: 'bool_parsing',
        loc: ['body', 'normalize'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        input: o.normalize,
      });
    else normalize = b;
  }
  if (issues.length) return { ok: false, status: 422, body: { detail: issues } };
  return { ok: true, request: { text: o.text as string, outputFormat, separator, normalize } };
}

/** A 422-style body for problems found outside the JSON schema (e.g. an oversized body). */
export function detail(type: string, loc: (string | number)[], msg: string, extra: Partial<ValidationIssue> = {}): { detail: ValidationIssue[] } {
  return { detail: [{ type, loc, msg, input: null, ...extra }] };
}
