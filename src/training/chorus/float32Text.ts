/**
 * Text for float32 values. Solr stores dense vectors as float32, so the shortest decimal that reads back
 * as the same float32 loses nothing and is about half as long as the float64 expansion JSON.stringify
 * gives; for 19,406 products x 768 dimensions that is the difference between ~150 MB and ~300 MB.
 * The format is numpy's str(np.float32): positional between 1e-4 and 1e16 ("0.1", "3.0"), otherwise
 * scientific with a two-digit exponent ("1.5e-05"), which is what Chorus' Python service prints.
 */

/** Shortest significant digits (1..9) that round-trip through Math.fround. */
function shortestDigits(x: number): number {
  for (let p = 1; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return Number(x.toPrecision(9));
}

export function formatFloat32(value: number): string {
  const x = Math.fround(value);
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const v = shortestDigits(x);
  const abs = Math.abs(v);
  if (abs >= 1e-4 && abs < 1e16) {
    // String() is positional below 1e21 and above 1e-7, which covers this range
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  const digits = exp.replace(/^[-+]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

/** A JSON array of float32 values in shortest round-trip form (valid JSON: NaN/Infinity are rejected). */
export function float32JsonArray(v: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new Error(`vector value ${i} is ${x}; JSON has no NaN or Infinity`);
    if (i) out += ',';
    out += formatFloat32(x);
  }
  return out + ']';
}
