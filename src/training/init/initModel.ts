import { parseBertConfig } from '../models/bert/bertConfig.ts';
import type { ModelFiles } from '../export/modelFiles.ts';
import { randomBertWeights } from './randomBert.ts';
import { sequenceClassifierFiles } from './randomCrossEncoder.ts';
import { encoderSizes, sentenceEncoderFiles, type EncoderInitOptions } from './sentenceEncoderFiles.ts';
import { tokenizerFiles } from './tokenizerFiles.ts';
import { buildWordPieceVocab } from './wordpiece.ts';

export interface InitModelOptions extends EncoderInitOptions {
  /** uncased WordPiece vocabulary; default true */
  lowercase?: boolean;
  /**
   * 'BertForSequenceClassification' makes a cross-encoder instead (no sentence-transformers files):
   * `bert.`-prefixed weights with the pooler, plus `classifier.weight/bias` for `numLabels` logits.
   */
  architecture?: 'BertModel' | 'BertForSequenceClassification';
  /** classifier outputs; default 1 (a relevance score) */
  numLabels?: number;
}

/** config.json in the layout BertConfig.save_pretrained writes (sorted keys). */
function bertConfigJson(o: { vocab: number; hidden: number; layers: number; heads: number; intermediate: number; positions: number }) {
  return {
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: o.hidden,
    initializer_range: 0.02,
    intermediate_size: o.intermediate,
    layer_norm_eps: 1e-12,
    max_position_embeddings: o.positions,
    model_type: 'bert',
    num_attention_heads: o.heads,
    num_hidden_layers: o.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    transformers_version: '4.41.2',
    type_vocab_size: 2,
    use_cache: true,
    vocab_size: o.vocab,
  };
}

/**
 * A freshly initialised BERT sentence encoder in full Hugging Face + sentence-transformers layout
 * (config.json, tokenizer files, model.safetensors, modules.json, 1_Pooling, ...): mean pooling, normalized.
 */
export function initModel(opts: InitModelOptions): ModelFiles {
  const { maxSeqLength, ...sizes } = encoderSizes(opts, 'initModel');
  const lowercase = opts.lowercase ?? true;
  const vocab = buildWordPieceVocab(opts.texts, opts.vocabSize ?? 8000, { lowercase });
  // Small models keep a small position table; 128 still covers typical product titles and queries.
  const raw = bertConfigJson({ vocab: vocab.length, ...sizes, positions: Math.max(maxSeqLength, 128) });
  const config = parseBertConfig(raw, 'initModel options');
  const weights = randomBertWeights(config, opts);
  // model_max_length = max_seq_length, so transformers / transformers.js truncate where sentence-transformers does.
  const tokenizer = tokenizerFiles(vocab, { lowercase, modelMaxLength: maxSeqLength });
  if (opts.architecture === 'BertForSequenceClassification') return sequenceClassifierFiles(raw, weights, tokenizer, opts);
  return sentenceEncoderFiles(raw, tokenizer, weights, { hidden: sizes.hidden, maxSeqLength });
}
