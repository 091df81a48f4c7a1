/**
 * Product text templates: "{title} {supplier}" turns a product record into the text the encoder sees.
 * `{{` and `}}` stand for literal braces. Missing or null fields render empty (catalogues are sparse:
 * most attr_* fields exist on a minority of products), arrays are joined with spaces, and whitespace is
 * collapsed so a missing field does not leave double spaces that would change tokenization.
 */

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Part = { text: string } | { field: string };

export interface CompiledTemplate {
  readonly source: string;
  /** placeholder names, in order of first use */
  readonly fields: readonly string[];
  render(fields: Readonly<Record<string, unknown>>): string;
}

// Field names as they appear in product JSON (attr_t_operating_temperature__t_t_, img_500x500, ...).
const FIELD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function parse(template: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (c === '}' && template[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (c === '}') {
      throw new TemplateError(`template "${template}": unmatched "}" at column ${i + 1} (write "}}" for a literal brace)`);
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end < 0) {
        throw new TemplateError(`template "${template}": "{" at column ${i + 1} is never closed (write "{{" for a literal brace)`);
      }
      const name = template.slice(i + 1, end).trim();
      if (!name) throw new TemplateError(`template "${template}": empty placeholder "{}" at column ${i + 1}`);
      if (!FIELD_NAME.test(name)) {
        throw new TemplateError(
          `template "${template}": unsupported placeholder "{${template.slice(i + 1, end)}}" at column ${i + 1}; ` +
            'placeholders are plain field names such as {title} (letters, digits, _ . -), without formats or expressions',
        );
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({ field: name });
      i = end + 1;
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

/** Renders a field value; nested arrays/objects contribute their leaf values, nulls contribute nothing. */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v))
    return v
      .map(valueText)
      .filter((s) => s !== '')
      .join(' ');
  if (typeof v === 'object')
    return Object.values(v as Record<string, unknown>)
      .map(valueText)
      .filter((s) => s !== '')
      .join(' ');
  return '';
}

export function compileTemplate(template: string): CompiledTemplate {
  const parts = parse(template);
  const fields = [...new Set(parts.flatMap((p) => ('field' in p ? [p.field] : [])))];
  return {
    source: template,
    fields,
    render(record) {
      let out = '';
      for (const p of parts) out += 'field' in p ? valueText(Object.hasOwn(record, p.field) ? record[p.field] : undefined) : p.text;
      return out.replace(/\s+/g, ' ').trim();
    },
  };
}

export function renderTemplate(template: string, fields: Readonly<Record<string, unknown>>): string {
  return compileTemplate(template).render(fields);
}
