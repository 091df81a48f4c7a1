import { readFile } from 'node:fs/promises';
import { CliError } from './cliError.ts';

export async function readInputFile(file: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `${file}: ${code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, expected a file' : (e as Error).message}`,
    );
  }
}

export async function readTextFile(file: string): Promise<string> {
  return new TextDecoder().decode(await readInputFile(file));
}

/**
 * Texts to embed: `.jsonl` rows with a "text" field, otherwise one text per line (a trailing newline does
 * not add an empty text; empty lines in the middle are kept so output rows stay aligned with input lines).
 */
export async function readTexts(file: string): Promise<string[]> {
  const content = await readTextFile(file);
  const lines = content.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!/\.jsonl$/i.test(file)) {
    if (!lines.length) throw new CliError(`${file}: no texts (the file is empty)`);
    return lines;
  }
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new CliError(`${file}:${i + 1}: malformed JSON (${(e as Error).message})`);
    }
    const text = (row as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new CliError(`${file}:${i + 1}: field "text" is missing or not a string`);
    texts.push(text);
  });
  if (!texts.length) throw new CliError(`${file}: no texts (the file has no rows)`);
  return texts;
}
