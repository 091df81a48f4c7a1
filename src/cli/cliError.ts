/** An expected failure (bad input, missing file): printed as one line, no stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

export function parseNumber(value: string, flag: string, opts: { integer?: boolean; min?: number } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    const kind = opts.integer ? 'an integer' : 'a number';
    throw new CliError(`${flag} must be ${kind}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got "${value}"`);
  }
  return n;
}
