import type { SentenceConfig } from '../models/sentenceConfig.ts';

/**
 * The sentence-transformers (v3+, loadable by v5) configuration files for Transformer -> Pooling [-> Normalize],
 * laid out as SentenceTransformer.save writes them (json.dump(indent=2)).
 *
 * 2_Normalize: Normalize has no parameters and no config, so ST's save leaves an empty folder and Hub repos
 * (git keeps no empty folders) have none at all; ST loads Normalize without reading anything from it. No file
 * is emitted for it here; writeModelFiles creates the empty folder on disk (see emptyModuleDirs in modelFiles.ts)
 * so a saved folder looks exactly like ST's own output.
 */
export function sentenceTransformersFiles(sc: SentenceConfig, dim: number): Record<string, string> {
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (sc.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  return {
    'modules.json': json(modules),
    'sentence_bert_config.json': json({ max_seq_length: sc.maxSeqLength, do_lower_case: false }),
    '1_Pooling/config.json': json({
      word_embedding_dimension: dim,
      pooling_mode_cls_token: sc.pooling === 'cls',
      pooling_mode_mean_tokens: sc.pooling === 'mean',
      pooling_mode_max_tokens: sc.pooling === 'max',
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    }),
    // The oldest release that reads this layout, so no installed v3+ warns that the model is "newer".
    'config_sentence_transformers.json': json({
      __version__: { sentence_transformers: '3.0.1', transformers: '4.41.2' },
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
      // ftlab's loaders apply it; sentence-transformers takes it as SentenceTransformer(path, truncate_dim=…)
      ...(sc.truncateDim !== undefined && { truncate_dim: sc.truncateDim }),
    }),
  };
}
