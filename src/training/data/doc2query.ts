/**
 * Query generation with a T5 doc2query model (GPL / GenQ's first step) through @huggingface/transformers'
 * `text2text-generation` pipeline. Sampling, not beam search: doc2query models are trained to produce varied
 * questions, and beam search returns near-identical ones (GPL samples with top_k/top_p too).
 * The model is downloaded from the Hub on first use; tests and offline users pass their own generator factory
 * or use the model-free generator (offlineQueries.ts).
 */
import type { Query } from './queries.ts';
import { normalizeQuery } from './queries.ts';

export interface GenerationSettings {
  do_sample: boolean;
  top_k: number;
  top_p: number;
  temperature: number;
  max_new_tokens: number;
  num_return_sequences: number;
}

/** What a text2text pipeline returns for one input: one object per returned sequence. */
export type Text2TextOutput = { generated_text: string }[];

export interface Text2TextGenerator {
  (input: string, settings: GenerationSettings): Promise<Text2TextOutput>;
  dispose?(): Promise<void> | void;
}

export type GeneratorFactory = (modelId: string, opts: { onDownload?: (info: unknown) => void }) => Promise<Text2TextGenerator>;

export interface Doc2QueryOptions {
  modelId?: string;
  /** queries per product (num_return_sequences); default 3 */
  perProduct?: number;
  doSample?: boolean;
  topK?: number;
  topP?: number;
  temperature?: number;
  maxNewTokens?: number;
  /** product texts are cut to this many characters (T5's 512-token input limit; titles are far shorter) */
  maxInputChars?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onDownload?: (info: unknown) => void;
  /** builds the generator; default: @huggingface/transformers pipeline('text2text-generation', modelId) */
  createGenerator?: GeneratorFactory;
}

export const defaultDoc2QueryModel = 'doc2query/msmarco-t5-base-v1';

export class Doc2QueryError extends Error {
  override name = 'Doc2QueryError';
}

export function generationSettings(opts: Doc2QueryOptions): GenerationSettings {
  return {
    do_sample: opts.doSample ?? true,
    top_k: opts.topK ?? 25,
    top_p: opts.topP ?? 0.95,
    temperature: opts.temperature ?? 1,
    max_new_tokens: opts.maxNewTokens ?? 64,
    num_return_sequences: opts.perProduct ?? 3,
  };
}

export const transformersGenerator: GeneratorFactory = async (modelId, opts) => {
  const { pipeline } = await import('@huggingface/transformers');
  const pipe = await pipeline('text2text-generation', modelId, { progress_callback: opts.onDownload });
  // GenerationSettings is a subset of the generation parameters; the library types them as a class instance.
  const call = ((input: string, settings: GenerationSettings) =>
    pipe(input, settings as unknown as Parameters<typeof pipe>[1]) as Promise<Text2TextOutput>) as Text2TextGenerator;
  call.dispose = () => pipe.dispose();
  return call;
};

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('query generation was aborted', 'AbortError');
}

/**
 * Generates `perProduct` queries for every document; each query keeps the id of the product it was written for.
 * Duplicates within one product (sampling can repeat itself) are dropped, so a product may get fewer.
 */
export async function generateDoc2Query(docs: readonly { id: string; text: string }[], opts: Doc2QueryOptions = {}): Promise<Query[]> {
  const modelId = opts.modelId ?? defaultDoc2QueryModel;
  const settings = generationSettings(opts);
  if (!Number.isInteger(settings.num_return_sequences) || settings.num_return_sequences < 1) {
    throw new Doc2QueryError(`queries per product must be an integer >= 1, got ${settings.num_return_sequences}`);
  }
  if (opts.signal?.aborted) throw abortError(opts.signal);
  let generate: Text2TextGenerator;
  try {
    generate = await (opts.createGenerator ?? transformersGenerator)(modelId, { onDownload: opts.onDownload });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new Doc2QueryError(
      `could not load the doc2query model "${modelId}" (${msg}). It is downloaded from the Hugging Face Hub on first use; ` +
        'without network access, generate queries with the offline generator instead (ftlab queries --source offline).',
    );
  }
  const maxChars = opts.maxInputChars ?? 2000;
  const out: Query[] = [];
  try {
    for (let i = 0; i < docs.length; i++) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const doc = docs[i]!;
      const result = await generate(doc.text.slice(0, maxChars), settings);
      const seen = new Set<string>();
      for (const r of result) {
        const text = normalizeQuery(r.generated_text ?? '');
        if (!text || seen.has(text.toLowerCase())) continue;
        seen.add(text.toLowerCase());
        out.push({ text, sourceDocId: doc.id });
      }
      opts.onProgress?.(i + 1, docs.length);
    }
  } finally {
    await generate.dispose?.();
  }
  return out;
}
