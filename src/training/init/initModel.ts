import { parseBertConfig } from '../models/bert/bertConfig.ts';
import type { ModelFiles } from '../export/modelFiles.ts';
import { sentenceTransformersFiles } from '../export/sentenceFiles.ts';
import { writeSafetensors } from '../weights/safetensors.ts';
import { randomBertWeights } from './randomBert.ts';
import { sequenceClassifierFiles } from './randomCrossEncoder.ts';
import { tokenizerFiles } from './tokenizerFiles.ts';
import { buildWordPieceVocab } from './wordpiece.ts';

export interface InitModelOptions {
  /** corpus the WordPiece vocabulary is learned from */
  texts: string[];
  hidden?: number;
  layers?: number;
  heads?: number;
  /** default 4 * hidden */
  intermediate?: number;
  /** upper bound; a small corpus yields fewer tokens */
  vocabSize?: number;
  /** sentence-transformers max_seq_length; default 128 */
  maxSeqLength?: number;
  seed?: number;
  /** random biases and LayerNorms too (parity tests); default false = Hugging Face init */
  perturbAll?: boolean;
  /** uncased vocabulary; default true */
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
  const hidden = opts.hidden ?? 128;
  const maxSeqLength = opts.maxSeqLength ?? 128;
  const lowercase = opts.lowercase ?? true;
  if (!opts.texts.some((t) => t.trim() !== '')) throw new Error('initModel: texts is empty; the vocabulary is learned from them');
  const vocab = buildWordPieceVocab(opts.texts, opts.vocabSize ?? 8000, { lowercase });
  // Small models keep a small position table; 128 still covers typical product titles and queries.
  const positions = Math.max(maxSeqLength, 128);
  const raw = bertConfigJson({
    vocab: vocab.length,
    hidden,
    layers: opts.layers ?? 2,
    heads: opts.heads ?? 4,
    intermediate: opts.intermediate ?? 4 * hidden,
    positions,
  });
  const config = parseBertConfig(raw, 'initModel options');
  const weights = randomBertWeights(config, { seed: opts.seed ?? 0, perturbAll: opts.perturbAll ?? false });

  if (opts.architecture === 'BertForSequenceClassification') {
    return sequenceClassifierFiles(raw, weights, tokenizerFiles(vocab, { lowercase, modelMaxLength: maxSeqLength }), opts);
  }
  const files: ModelFiles = new Map();
  // model_max_length = max_seq_length, so transformers / transformers.js truncate where sentence-transformers does.
  files.set('config.json', JSON.stringify(raw, null, 2) + '\n');
  for (const [name, text] of Object.entries(tokenizerFiles(vocab, { lowercase, modelMaxLength: maxSeqLength }))) files.set(name, text);
  files.set('model.safetensors', writeSafetensors(weights));
  for (const [name, text] of Object.entries(sentenceTransformersFiles({ maxSeqLength, pooling: 'mean', normalize: true }, hidden))) {
    files.set(name, text);
  }
  return files;
}
