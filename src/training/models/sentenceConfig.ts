import type { BertConfig } from './bert/bertConfig.ts';
import { ModelConfigError } from './bert/bertConfig.ts';
import { readJson, readJsonIfExists, type ModelSource } from '../source/modelSource.ts';
import { readTruncateDim } from './truncateDim.ts';

/** The sentence-transformers pipeline ftlab runs on top of the encoder: Transformer -> Pooling [-> Normalize]. */
export interface SentenceConfig {
  maxSeqLength: number;
  pooling: 'mean' | 'cls' | 'max';
  normalize: boolean;
  /** Matryoshka: inference embeddings are this long (see truncateDim.ts); absent = the hidden size */
  truncateDim?: number;
}

interface ModuleEntry {
  idx?: number;
  name?: string;
  path?: string;
  type?: string;
}

const poolingFlags = {
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_sqrt_len_tokens: undefined,
  pooling_mode_weightedmean_tokens: undefined,
  pooling_mode_lasttoken: undefined,
} as const;

/** Pooling mode from `1_Pooling/config.json` (keys as sentence_transformers.models.Pooling takes them). */
function parsePooling(raw: Record<string, unknown>, file: string): SentenceConfig['pooling'] {
  if (typeof raw.pooling_mode === 'string') {
    const mode = raw.pooling_mode.toLowerCase();
    if (mode === 'mean' || mode === 'cls' || mode === 'max') return mode;
    throw new ModelConfigError(`${file}: pooling_mode "${raw.pooling_mode}" is not supported (use mean, cls or max)`);
  }
  // Pooling() defaults pooling_mode_mean_tokens to True and the other flags to False.
  const flags: Record<string, unknown> = { pooling_mode_mean_tokens: true, ...raw };
  const on = (Object.keys(poolingFlags) as (keyof typeof poolingFlags)[]).filter((k) => flags[k] === true);
  if (on.length === 0) {
    throw new ModelConfigError(
      `${file}: no pooling mode is enabled (set pooling_mode_mean_tokens, pooling_mode_cls_token or pooling_mode_max_tokens)`,
    );
  }
  if (on.length > 1) throw new ModelConfigError(`${file}: combined pooling modes (${on.join(' + ')}) are not supported; enable exactly one`);
  const mode = poolingFlags[on[0]];
  if (!mode)
    throw new ModelConfigError(
      `${file}: ${on[0]} is not supported (use pooling_mode_mean_tokens, pooling_mode_cls_token or pooling_mode_max_tokens)`,
    );
  return mode;
}

/**
 * Reads modules.json, the Pooling config and sentence_bert_config.json. A plain transformers model (no
 * modules.json) gets what SentenceTransformer gives it: mean pooling, no Normalize, and
 * max_seq_length = min(max_position_embeddings, tokenizer model_max_length).
 */
export async function loadSentenceConfig(source: ModelSource, cfg: BertConfig, tokenizerMax?: number): Promise<SentenceConfig> {
  const inferredMax = Math.min(cfg.max_position_embeddings, tokenizerMax ?? Infinity);
  const modules = await readJsonIfExists<ModuleEntry[]>(source, 'modules.json');
  if (!modules) return { maxSeqLength: inferredMax, pooling: 'mean', normalize: false };
  if (!Array.isArray(modules)) throw new ModelConfigError(`${source.id}/modules.json: expected a list of modules`);

  let poolingPath: string | undefined;
  let normalize = false;
  modules.forEach((m, i) => {
    const type = String(m.type ?? '');
    const kind = type.split('.').at(-1);
    if (kind === 'Transformer') {
      if (i !== 0 || (m.path ?? '') !== '') {
        throw new ModelConfigError(`${source.id}/modules.json: the Transformer module must come first with path "" (found path "${m.path}")`);
      }
    } else if (kind === 'Pooling') {
      poolingPath = m.path ?? '';
    } else if (kind === 'Normalize') {
      normalize = true;
    } else {
      throw new ModelConfigError(`${source.id}/modules.json: module ${i} type "${type}" is not supported (only Transformer, Pooling, Normalize)`);
    }
  });
  if (poolingPath === undefined) throw new ModelConfigError(`${source.id}/modules.json: no sentence_transformers.models.Pooling module`);

  const poolingFile = poolingPath ? `${poolingPath}/config.json` : 'config.json';
  const pooling = parsePooling(await readJson(source, poolingFile), `${source.id}/${poolingFile}`);

  const sbert = await readJsonIfExists(source, 'sentence_bert_config.json');
  const raw = sbert?.max_seq_length;
  if (raw !== undefined && raw !== null && (!Number.isInteger(raw) || (raw as number) <= 0)) {
    throw new ModelConfigError(`${source.id}/sentence_bert_config.json: max_seq_length must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  // Longer inputs would index past the position table, so the table size caps the configured length.
  const maxSeqLength = typeof raw === 'number' ? Math.min(raw, cfg.max_position_embeddings) : inferredMax;
  const truncateDim = await readTruncateDim(source, cfg.hidden_size);
  return { maxSeqLength, pooling, normalize, ...(truncateDim && { truncateDim }) };
}
