/**
 * The JSON pieces every tokenizer family's save_pretrained writes alike: the special-token entries of
 * tokenizer.json and tokenizer_config.json, the vocabulary object, and the two small config files.
 */

/** A special token as tokenizers records it; lstrip and normalized default to false. */
export interface SpecialTokenEntry {
  id: number;
  content: string;
  lstrip?: boolean;
  normalized?: boolean;
}

/** Python's json.dumps(obj, indent=2, sort_keys=True) layout, which save_pretrained uses for the small configs. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value), null, 2) + '\n';
}

/** `{"token": id, ...}` in id order; written by hand because JS objects put integer-like keys ("0".."9") first. */
export function vocabObject(vocab: readonly string[], indent: string): string {
  return `{\n${vocab.map((t, i) => `${indent}  ${JSON.stringify(t)}: ${i}`).join(',\n')}\n${indent}}`;
}

/** An entry of tokenizer.json's added_tokens, keys in the order tokenizers serializes them. */
export function addedToken({ id, content, lstrip = false, normalized = false }: SpecialTokenEntry) {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized, special: true };
}

/** tokenizer_config.json's added_tokens_decoder: the same entries keyed by id. */
export function addedTokensDecoder(tokens: readonly SpecialTokenEntry[]): Record<number, unknown> {
  return Object.fromEntries(
    tokens.map(({ id, content, lstrip = false, normalized = false }) => [
      id,
      { content, lstrip, normalized, rstrip: false, single_word: false, special: true },
    ]),
  );
}

/** tokenizer_config.json and special_tokens_map.json as save_pretrained lays them out. */
export function tokenizerConfigFiles(config: Record<string, unknown>, specialTokensMap: Record<string, unknown>): Record<string, string> {
  return {
    'tokenizer_config.json': sortedJson(config),
    'special_tokens_map.json': sortedJson(specialTokensMap),
  };
}
